"""Run simulated clients through multi-session therapy with the real agent, resumably.

Every client gets its own :class:`~theraloop.agent.TherapistAgent` (own data directory under
``OUT/clients/<id>``, own :class:`~theraloop.memory.ManualClock`), so clients never share state and
can run in parallel. Time is simulated: the clock advances a few minutes per turn and
``days_between`` days between sessions, so memory decays between sessions as it would in real life.

Parallelism uses a thread pool: the agent's heavy work (llama.cpp, ONNX/torch embeddings, SQLite)
releases the GIL, each client has its own agent and stores, and one MiniLM embedder is shared
(read-only). With a local llama.cpp model each worker loads its own copy of the weights (~1.8 GB
for ``local``): on a small machine keep ``--workers 1`` for local models. With
``ray=RayOptions(...)`` (``--backend ray``) each client is a Ray task instead
(:mod:`theraloop.simulations._ray`), writing the same files.

Resuming: after each ``end_session`` a marker is written (``OUT/progress/<id>/session-NNNN.done``).
Re-running the same command skips marked sessions; for an interrupted one the agent reports the
open session (``SessionInfo.resumed``) and the client is restored from its trace, then the session
continues from the next turn. Because the fake/template client regenerates the same utterance for
the same state and seed, a turn the agent finished but the trace missed is recognised by the
agent and not duplicated; otherwise the next record carries ``gap`` > 0.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import platform
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations._ray import RayOptions, ray_connection, run_on_ray
from theraloop.simulations.client import CLIENT_REGISTRY
from theraloop.simulations.config import (
    ABLATION_LABELS,
    ABLATIONS,
    Ablation,
    RunConfig,
    ablation_settings,
)
from theraloop.simulations.factories import (
    agent_settings_kwargs,
    default_agent_factory,
    default_client_model_factory,
)
from theraloop.simulations.job import (
    AgentFactory,
    ClientJob,
    ClientModelFactory,
    ClientOutcome,
    RunStateError,
    Therapist,
    safe_run,
)
from theraloop.simulations.profiles import ClientProfile
from theraloop.simulations.progress import ProgressBars
from theraloop.simulations.trace import to_jsonable

if TYPE_CHECKING:
    from rich.console import Console

    from theraloop.memory import Embedder

__all__ = [
    "RunManifest",
    "RunResult",
    "run_simulation",
    "run_ablations",
    "load_manifest",
    "write_manifest",
    # the run's parts, defined in config, job and factories, re-exported for callers of the runner
    "Ablation",
    "ABLATIONS",
    "ABLATION_LABELS",
    "ablation_settings",
    "RunConfig",
    "ClientOutcome",
    "Therapist",
    "AgentFactory",
    "default_agent_factory",
    "RunStateError",
]

_MANIFEST = "manifest.json"


class Invocation(BaseModel):
    """One execution of the run command (a resumed run has several)."""

    started_at: datetime
    finished_at: datetime | None = None
    wall_s: float | None = None
    resumed: bool = False
    sessions: int
    workers: int
    backend: Literal["threads", "ray"] = "threads"
    status: Literal["running", "complete", "interrupted", "failed"] = "running"
    errors: dict[str, str] = Field(default_factory=dict)


class ClientEntry(BaseModel):
    """A client of the run, as the report needs to know it."""

    id: str
    name: str
    source: str
    tags: list[str]
    responds_to: list[str]
    attitude: str
    stage_of_change: str
    receptivity: int


class RunManifest(BaseModel):
    """Everything needed to understand and reproduce a run directory."""

    format: int = 1
    config: RunConfig
    ablation: Ablation
    agent_settings: dict[str, Any] = Field(default_factory=dict)
    seeds: dict[str, Any] = Field(default_factory=dict, description="How every seed is derived.")
    clients: list[ClientEntry]
    versions: dict[str, str]
    created_at: datetime
    invocations: list[Invocation] = Field(default_factory=list)
    status: Literal["running", "complete", "interrupted", "failed"] = "running"


class RunResult(BaseModel):
    """What :func:`run_simulation` returns."""

    out: Path
    manifest: RunManifest
    outcomes: list[ClientOutcome]
    wall_s: float
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """Return whether every client finished without error."""
        return not self.interrupted and all(o.error is None for o in self.outcomes)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in (
        "theraloop",
        "langgraph",
        "langchain-core",
        "chromadb",
        "pydantic",
        "sentence-transformers",
        "llama-cpp-python",
        "torch",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def load_manifest(run_dir: Path) -> RunManifest:
    """Read a run directory's manifest.

    Raises:
        InvalidInputError: there is no manifest (not a run directory).
    """
    path = Path(run_dir) / _MANIFEST
    if not path.is_file():
        raise InvalidInputError(
            f"{str(run_dir)!r} is not a simulation run directory (no {_MANIFEST}); "
            "run `theraloop simulate --out DIR` first"
        )
    return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    """Write a run directory's manifest atomically (a crash leaves the old one or the new one)."""
    path = Path(run_dir) / _MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)


def _client_entry(p: ClientProfile) -> ClientEntry:
    return ClientEntry(
        id=p.id,
        name=p.name,
        source=p.source,
        tags=list(p.tags),
        responds_to=list(p.responds_to),
        attitude=p.attitude,
        stage_of_change=p.stage_of_change,
        receptivity=p.receptivity,
    )


def _check_config(out: Path, config: RunConfig) -> RunManifest | None:
    try:
        previous = load_manifest(out)
    except InvalidInputError:
        return None
    old, new = previous.config.replay_key(), config.replay_key()
    if old != new:
        diff = {k: (old.get(k), new.get(k)) for k in new if old.get(k) != new.get(k)}
        raise InvalidInputError(
            f"{str(out)!r} holds a run made with other settings {diff!r} (old, new); resume it "
            "with the same flags or choose another --out"
        )
    return previous


def run_simulation(
    config: RunConfig,
    out: Path,
    profiles: Sequence[ClientProfile],
    *,
    agent_factory: AgentFactory | None = None,
    embedder: Embedder | None = None,
    client_model_factory: ClientModelFactory | None = None,
    progress: bool = True,
    console: Console | None = None,
    ray: RayOptions | None = None,
) -> RunResult:
    """Simulate every profile for ``config.sessions`` sessions; resume what is already on disk.

    Args:
        config: the run's settings (recorded in ``OUT/manifest.json``).
        out: run directory; created if missing, resumed if it holds this run.
        profiles: the clients.
        agent_factory: builds a therapist per client (default: the real ``TherapistAgent``).
        embedder: sentence embedder shared by the default factory's agents (default: MiniLM).
        client_model_factory: builds a client chat model per profile; ``None`` uses
            ``config.client_model`` (``fake`` = deterministic template voice).
        progress: show rich progress bars.
        console: a ``rich.console.Console`` for the progress bars.
        ray: run each client as a Ray task there instead of on threads (the factories must then
            be picklable; ``None`` builds the defaults on each worker, and ``embedder`` is
            refused: workers load their own).

    Raises:
        InvalidInputError: no profiles, an unknown client kind, ``out`` holds another run, or
            Ray was asked for but is not installed or given an embedder.
    """
    if not profiles:
        raise InvalidInputError("no profiles to simulate; pass --profiles with ids, paths or globs")
    if config.client_kind not in CLIENT_REGISTRY:
        raise InvalidInputError(
            f"unknown client kind {config.client_kind!r}; use one of {', '.join(CLIENT_REGISTRY)}"
        )
    if ray is not None and embedder is not None:
        raise InvalidInputError("the Ray backend loads the embedder on each worker; pass none")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    previous = _check_config(out, config)
    wall_start = time.perf_counter()
    now = datetime.now(UTC)
    known = {c.id: c for c in previous.clients} if previous else {}
    for p in profiles:
        known[p.id] = _client_entry(p)
    _save_profiles(out, profiles)
    invocation = Invocation(
        started_at=now,
        resumed=previous is not None,
        sessions=config.sessions,
        workers=config.workers,
        backend="threads" if ray is None else "ray",
    )
    manifest = RunManifest(
        config=config,
        ablation=config.ablation,
        agent_settings=to_jsonable(
            {**agent_settings_kwargs(config, Path("<OUT>/clients/<client_id>"))}
        ),
        seeds={
            "run": config.seed,
            "agent": config.seed,
            "client": "sha256(run seed, client id, session, turn, purpose) per random draw",
            "client_model": "sha256(run seed, client id, 'client-model')",
        },
        clients=list(known.values()),
        versions=_versions(),
        created_at=previous.created_at if previous else now,
        invocations=[*(previous.invocations if previous else []), invocation],
    )
    write_manifest(out, manifest)
    bars = ProgressBars(
        progress, total=len(profiles) * config.sessions * config.turns, console=console
    )
    if ray is None:
        outcomes, interrupted = _run_on_threads(
            config,
            out,
            profiles,
            agent_factory or default_agent_factory(embedder),
            client_model_factory,
            bars,
        )
    else:
        with bars.running():
            outcomes, interrupted = run_on_ray(
                ray,
                config,
                out,
                profiles,
                agent_factory=agent_factory,
                client_model_factory=client_model_factory,
                progress=bars,
            )
    if any(o.error == "interrupted" for o in outcomes):
        interrupted = True
    errors = {o.client_id: o.error for o in outcomes if o.error}
    status: Literal["complete", "interrupted", "failed"] = (
        "interrupted" if interrupted else "failed" if errors else "complete"
    )
    wall = time.perf_counter() - wall_start
    finished = invocation.model_copy(
        update={
            "finished_at": datetime.now(UTC),
            "wall_s": round(wall, 3),
            "status": status,
            "errors": {k: v for k, v in errors.items() if v},
        }
    )
    manifest = manifest.model_copy(
        update={"invocations": [*manifest.invocations[:-1], finished], "status": status}
    )
    write_manifest(out, manifest)
    return RunResult(
        out=out, manifest=manifest, outcomes=outcomes, wall_s=wall, interrupted=interrupted
    )


def _run_on_threads(
    config: RunConfig,
    out: Path,
    profiles: Sequence[ClientProfile],
    factory: AgentFactory,
    client_model_factory: ClientModelFactory | None,
    bars: ProgressBars,
) -> tuple[list[ClientOutcome], bool]:
    """Run the clients on ``config.workers`` threads; return the outcomes and if interrupted."""
    if client_model_factory is None and config.client_model != "fake":
        client_model_factory = default_client_model_factory(config)
    stop = threading.Event()
    interrupted = False
    jobs = [ClientJob(p, config, out, factory, bars, stop, client_model_factory) for p in profiles]
    results: dict[int, ClientOutcome] = {}
    with bars.running(), ThreadPoolExecutor(max_workers=config.workers) as pool:
        futures = [pool.submit(safe_run, job) for job in jobs]
        try:
            for i, future in enumerate(futures):
                results[i] = future.result()
        except KeyboardInterrupt:
            interrupted = True
            stop.set()  # workers stop after their current turn; the trace stays consistent
            for future in futures:
                future.cancel()
            for i, future in enumerate(futures):
                if i not in results and not future.cancelled():
                    with contextlib.suppress(BaseException):
                        results[i] = future.result()
    return [results[i] for i in sorted(results)], interrupted


def _save_profiles(out: Path, profiles: Sequence[ClientProfile]) -> None:
    """Keep the profiles next to the traces so a report needs nothing but the run directory."""
    folder = out / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    for p in profiles:
        path = folder / f"{p.id}.json"
        text = p.model_dump_json(indent=2)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def run_ablations(
    config: RunConfig,
    out: Path,
    profiles: Sequence[ClientProfile],
    *,
    ablations: Sequence[Ablation] = ABLATIONS,
    **kwargs: Any,
) -> dict[str, RunResult]:
    """Run the same clients and seed under each ablation into ``OUT/<label>`` (``--ablation all``).

    Returns the results by label (``full``, ``no-memory``, ...). Without an ``agent_factory``
    every variant shares one default factory, so the embedder (and its cache of the texts the
    variants have in common) and local model weights load once, not once per variant. With
    ``ray=RayOptions(...)`` every variant runs on one Ray connection, and each worker process
    keeps its default factory across variants.
    """
    ray: RayOptions | None = kwargs.get("ray")
    if kwargs.get("agent_factory") is None and ray is None:
        kwargs["agent_factory"] = default_agent_factory(kwargs.pop("embedder", None))
    results: dict[str, RunResult] = {}
    with contextlib.ExitStack() as stack:
        if ray is not None:
            stack.enter_context(ray_connection(ray, num_cpus=config.workers))
        for ablation in ablations:
            label = ABLATION_LABELS[ablation]
            results[label] = run_simulation(
                config.model_copy(update={"ablation": ablation}),
                Path(out) / label,
                profiles,
                **kwargs,
            )
            if results[label].interrupted:
                break
    return results
