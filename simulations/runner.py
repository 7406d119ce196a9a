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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from theraloop.memory.clock import Clock, ManualClock
from theraloop.memory.errors import InvalidInputError, TheraloopError
from theraloop.simulations.client import CLIENT_REGISTRY, SimulatedClient, make_client
from theraloop.simulations.moves import TherapistTurn, therapist_turn
from theraloop.simulations.profiles import ClientProfile
from theraloop.simulations.trace import (
    QuestionnaireRecord,
    SessionEndRecord,
    SessionStartRecord,
    TraceRecord,
    TraceTurn,
    TraceWriter,
    completed_sessions,
    mark_session_done,
    read_trace,
    restore_memory,
    to_jsonable,
    trace_path,
)

if TYPE_CHECKING:
    from theraloop.simulations._ray import RayOptions

__all__ = [
    "Ablation",
    "ABLATIONS",
    "ABLATION_LABELS",
    "ablation_settings",
    "RunConfig",
    "RunManifest",
    "ClientOutcome",
    "RunResult",
    "Therapist",
    "AgentFactory",
    "default_agent_factory",
    "run_simulation",
    "run_ablations",
    "RunStateError",
    "load_manifest",
]

Ablation = Literal["none", "no-memory", "no-cross-session", "fixed-cbt"]
"""Which part of the agent is switched off: nothing, long-term memory, the supervisor, switching."""

ABLATIONS: tuple[Ablation, ...] = ("none", "no-memory", "no-cross-session", "fixed-cbt")
ABLATION_LABELS: dict[str, str] = {
    "none": "full",
    "no-memory": "no-memory",
    "no-cross-session": "no-cross-session",
    "fixed-cbt": "fixed-cbt",
}
"""Folder names (and report labels) of each ablation in an ``--ablation all`` run."""

_MANIFEST = "manifest.json"
_REPLAY_FIELDS = (
    "turns",
    "days_between",
    "therapist_model",
    "client_model",
    "ablation",
    "seed",
    "minutes_per_turn",
    "start",
    "client_kind",
)


class RunStateError(TheraloopError, RuntimeError):
    """The run directory and the agent's data disagree; the message says what to delete."""


def ablation_settings(ablation: Ablation) -> dict[str, Any]:
    """Return the agent ``Settings`` overrides that implement an ablation."""
    return {
        "none": {},
        "no-memory": {"use_memory": False},
        "no-cross-session": {"cross_session": False},
        "fixed-cbt": {"fixed_modality": "cbt"},
    }[ablation]


class RunConfig(BaseModel):
    """What a simulation run does; everything that decides its outcome is recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profiles: tuple[str, ...] = Field(default=(), description="The --profiles specs given.")
    sessions: int = Field(default=3, ge=1, le=200, description="Sessions per client.")
    turns: int = Field(default=6, ge=1, le=500, description="Client turns per session.")
    days_between: float = Field(default=7.0, ge=0.0, le=365.0, description="Days between sessions.")
    workers: int = Field(default=1, ge=1, le=64, description="Clients simulated in parallel.")
    therapist_model: str = Field(default="fake", description="Model spec of the therapist.")
    client_model: str = Field(default="fake", description="Model spec of simulated clients.")
    judge_model: str = Field(default="fake", description="Model spec of the judge (evaluate).")
    ablation: Ablation = "none"
    seed: int = Field(default=0, description="Seeds the clients and the agent's sampling.")
    minutes_per_turn: float = Field(default=3.0, gt=0.0, le=120.0)
    start: datetime = Field(
        default=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), description="Simulated time of session 1."
    )
    client_kind: str = Field(default="stateful", description="Key of CLIENT_REGISTRY.")

    def replay_key(self) -> dict[str, Any]:
        """Return the fields a resumed run must share with the run it continues."""
        return self.model_dump(mode="json", include=set(_REPLAY_FIELDS))

    def session_start(self, session: int) -> datetime:
        """Return when ``session`` (1-based) begins in simulated time."""
        length = timedelta(minutes=self.minutes_per_turn * (self.turns + 2) + 30)
        gap = max(timedelta(days=self.days_between), length)
        return self.start + (session - 1) * gap

    def turn_time(self, session: int, turn: int) -> datetime:
        """Return when client turn ``turn`` of ``session`` happens."""
        return self.session_start(session) + timedelta(minutes=self.minutes_per_turn * turn)


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


class ClientOutcome(BaseModel):
    """How one client's part of an invocation went."""

    client_id: str
    sessions_done: int
    turns_written: int = 0
    resumed: bool = False
    skipped: bool = False
    error: str | None = None
    wall_s: float = 0.0


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


class Therapist(Protocol):
    """The part of :class:`theraloop.agent.TherapistAgent` the runner uses."""

    def start_session(self, client_id: str, *, phq9: Any = None, gad7: Any = None) -> Any:
        """Open or resume the client's session; returns a ``SessionInfo``."""
        ...

    def respond(self, client_id: str, text: str) -> Any:
        """Answer one client message; returns a ``Reply``."""
        ...

    def end_session(self, client_id: str, *, phq9: Any = None, gad7: Any = None) -> Any:
        """Close the session and review it; returns a ``SessionReview``."""
        ...

    def history(self, client_id: str) -> Any:
        """Return the client's ``ClientHistory``."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


AgentFactory = Callable[[Path, RunConfig, Clock], Therapist]
"""``factory(data_dir, config, clock)`` -> a therapist for one client."""


class _SharedEmbedder:
    """Load the sentence embedder once per run, on first use, cached for every client's agent."""

    def __init__(self, embedder: Any | None) -> None:
        self._embedder = _cached(embedder) if embedder is not None else None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._embedder is None:
                from theraloop.memory import MiniLMEmbedder

                self._embedder = _cached(MiniLMEmbedder())
            return self._embedder


def _cached(embedder: Any) -> Any:
    from theraloop.memory import CachingEmbedder

    return embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)


class _RoleModels:
    """Build every agent's role models on run-level pools: llama.cpp weights load once per role.

    Passed to ``TherapistAgent.from_settings(models=...)``, which exists for exactly this: many
    agents sharing loaded models. Each role keeps its own pool (and so its own KV cache), as the
    agent does; agents of parallel workers take turns on a role's model.
    """

    def __init__(self) -> None:
        self._pools: dict[str, Any] = {}
        self._lock = threading.Lock()

    def build(self, settings: Any) -> dict[str, Any]:
        from theraloop.agent.llm import ModelPool, make_chat_model

        out: dict[str, Any] = {}
        for role in ("therapist", "supervisor", "safety"):
            spec = settings.model_for(role)
            if role == "safety" and spec == "fake":
                continue  # no LLM second opinion on risk with the scripted model
            with self._lock:
                pool = self._pools.setdefault(role, ModelPool())
            out[role] = make_chat_model(
                spec,
                temperature=settings.temperature,
                seed=settings.seed,
                timeout=settings.model_timeout_s,
                pool=pool,
            )
        return out


def default_agent_factory(embedder: Any | None = None) -> AgentFactory:
    """Return a factory building the real :class:`~theraloop.TherapistAgent` from the run config.

    One embedder (``embedder`` or MiniLM loaded on first use) is shared by all agents, behind a
    text -> vector cache: every agent embeds the same prototype and example texts when built, so
    later agents reuse the first one's vectors (identical results, much faster start). Role
    models are built on run-level pools, so local weights are loaded once per run, not per client.
    """
    shared = _SharedEmbedder(embedder)
    roles = _RoleModels()

    def factory(data_dir: Path, config: RunConfig, clock: Clock) -> Therapist:
        from theraloop.agent import Settings, TherapistAgent

        settings = Settings(**agent_settings_kwargs(config, data_dir))
        return TherapistAgent.from_settings(
            settings, clock=clock, embedder=shared.get(), models=roles.build(settings)
        )

    return factory


def agent_settings_kwargs(config: RunConfig, data_dir: Path) -> dict[str, Any]:
    """Return the keyword arguments of the agent ``Settings`` for one client of a run."""
    return {
        "data_dir": data_dir,
        "therapist_model": config.therapist_model,
        "client_model": config.client_model,
        "judge_model": config.judge_model,
        "seed": config.seed,
        **ablation_settings(config.ablation),
    }


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


def _write_manifest(run_dir: Path, manifest: RunManifest) -> None:
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


class _Stopped(Exception):
    """Raised inside a worker when the user interrupted the run."""


class _ProgressSink(Protocol):
    """What a client job reports its progress to: the bars, or a Ray task's event stream."""

    def add(self, description: str, total: int, completed: int) -> Any:
        """Open the client's bar; returns its handle."""
        ...

    def update(self, task: Any, description: str) -> None:
        """Change the bar's description."""
        ...

    def advance(self, task: Any, steps: int = 1) -> None:
        """Count finished turns."""
        ...


class _Progress:
    """Rich progress bars per client (and overall), or nothing."""

    def __init__(self, enabled: bool, total: int, console: Any | None = None) -> None:
        self._bar: Any = None
        self._overall: Any = None
        self._lock = threading.Lock()
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )
            self._overall = self._bar.add_task("all clients (turns)", total=total)

    @contextlib.contextmanager
    def running(self) -> Iterator[_Progress]:
        if self._bar is None:
            yield self
            return
        with self._bar:
            yield self

    def add(self, description: str, total: int, completed: int) -> Any:
        if self._bar is None:
            return None
        with self._lock:
            self._bar.advance(self._overall, completed)
            return self._bar.add_task(description, total=total, completed=completed)

    def update(self, task: Any, description: str) -> None:
        if self._bar is not None and task is not None:
            self._bar.update(task, description=description)

    def advance(self, task: Any, steps: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, steps)
            self._bar.advance(self._overall, steps)


class _ClientJob:
    """Run one client's sessions, resuming from its trace and the agent's own checkpoint."""

    def __init__(
        self,
        profile: ClientProfile,
        config: RunConfig,
        out: Path,
        factory: AgentFactory,
        progress: _ProgressSink,
        stop: threading.Event,
        client_model_factory: Callable[[ClientProfile], Any] | None,
    ) -> None:
        self.profile = profile
        self.cid = profile.id
        self.config = config
        self.out = out
        self.factory = factory
        self.progress = progress
        self.stop = stop
        self.client_model_factory = client_model_factory
        self.writer = TraceWriter(trace_path(out, self.cid))
        self.turns_written = 0
        self.resumed = False

    # -- restore --------------------------------------------------------------------------------
    def _restore(self, client: SimulatedClient, records: Sequence[TraceRecord]) -> None:
        last = records[-1]
        if isinstance(last, TraceTurn):
            state = last.client_state_after
        else:
            state = last.client_state
        client.restore(state, restore_memory(records))

    def run(self) -> ClientOutcome:
        started = time.perf_counter()
        cfg = self.config
        records = read_trace(trace_path(self.out, self.cid), repair=True)
        done = completed_sessions(self.out, self.cid)
        task = self.progress.add(
            f"{self.cid} s{min(len(done) + 1, cfg.sessions)}/{cfg.sessions}",
            total=cfg.sessions * cfg.turns,
            completed=min(len(done), cfg.sessions) * cfg.turns,
        )
        if len(done) >= cfg.sessions:
            self.progress.update(task, f"{self.cid} done")
            return ClientOutcome(client_id=self.cid, sessions_done=len(done), skipped=True)
        model = self.client_model_factory(self.profile) if self.client_model_factory else None
        client = make_client(cfg.client_kind, self.profile, seed=cfg.seed, model=model)
        if hasattr(client, "set_turns"):
            client.set_turns(cfg.turns)
        if records:
            self.resumed = True
            self._restore(client, records)
        clock = ManualClock(cfg.start)
        data_dir = self.out / "clients" / self.cid
        agent = self.factory(data_dir, cfg, clock)
        try:
            for session in range(len(done) + 1, cfg.sessions + 1):
                self.progress.update(task, f"{self.cid} s{session}/{cfg.sessions}")
                session_records = [r for r in records if r.session == session]
                self._session(agent, client, clock, session, session_records, task)
            self.progress.update(task, f"{self.cid} done")
        finally:
            agent.close()
        return ClientOutcome(
            client_id=self.cid,
            sessions_done=len(completed_sessions(self.out, self.cid)),
            turns_written=self.turns_written,
            resumed=self.resumed,
            wall_s=time.perf_counter() - started,
        )

    # -- one session ----------------------------------------------------------------------------
    def _agent_closed_session(self, agent: Therapist, session: int) -> Any | None:
        """Return the agent's review of ``session`` if the agent already closed it, else None."""
        try:
            history = agent.history(self.cid)
        except (KeyError, LookupError, TheraloopError):
            return None
        closed = [
            s
            for s in getattr(history, "sessions", ())
            if s.session_number == session and s.status == "closed"
        ]
        if not closed:
            return None
        reviews = [r for r in getattr(history, "reviews", ()) if r.session_number == session]
        return reviews[-1] if reviews else {}

    def _session(
        self,
        agent: Therapist,
        client: SimulatedClient,
        clock: ManualClock,
        session: int,
        records: Sequence[TraceRecord],
        task: Any,
    ) -> None:
        cfg = self.config
        start_rec = next((r for r in records if isinstance(r, SessionStartRecord)), None)
        turn_recs = [r for r in records if isinstance(r, TraceTurn)]
        end_rec = next((r for r in records if isinstance(r, SessionEndRecord)), None)
        if end_rec is not None:  # ended and recorded; only the marker was missing
            self._mark(end_rec)
            self.progress.advance(task, cfg.turns)
            return
        _advance(clock, cfg.session_start(session))
        if start_rec is None:
            answers = client.start_session(session, turns=cfg.turns)
        else:
            answers = start_rec.questionnaires.answers()
        review = self._agent_closed_session(agent, session) if start_rec is not None else None
        if review is None:
            info = agent.start_session(self.cid, phq9=list(answers.phq9), gad7=list(answers.gad7))
            if info.session_number != session:
                raise RunStateError(
                    f"client {self.cid!r}: the agent is at session {info.session_number} but the "
                    f"trace at session {session}; delete {str(self.out / 'clients' / self.cid)!r}, "
                    f"{str(trace_path(self.out, self.cid))!r} and "
                    f"{str(self.out / 'progress' / self.cid)!r} to rerun this client"
                )
            if start_rec is None:
                plan = getattr(info, "plan", None)
                opening = TherapistTurn(
                    text=info.opening,
                    modality=getattr(plan, "modality", None),
                    stage=getattr(plan, "stage", None),
                    opening=True,
                )
                move = client.hear(opening)
                self.writer.append(
                    SessionStartRecord(
                        client_id=self.cid,
                        session=session,
                        session_id=info.session_id,
                        at=clock(),
                        resumed=bool(getattr(info, "resumed", False)),
                        opening=info.opening,
                        plan=to_jsonable(plan) if plan is not None else None,
                        questionnaires=QuestionnaireRecord.from_answers(answers),
                        life_event=self.profile.life_events.get(session),
                        opening_move=move,
                        client_state=client.state,
                    )
                )
            elif not getattr(info, "resumed", False):
                raise RunStateError(
                    f"client {self.cid!r} session {session}: the trace has begun this session "
                    "but the agent has no open session to resume (its data was replaced?); "
                    "delete the client's data, trace and progress folders to rerun it"
                )
            else:
                self.resumed = True
            session_id = info.session_id
            agent_turns = int(getattr(info, "turns_so_far", len(turn_recs)) or 0)
            if agent_turns > len(turn_recs) + 1:
                raise RunStateError(
                    f"client {self.cid!r} session {session}: the agent holds {agent_turns} turns "
                    f"but the trace {len(turn_recs)}; the trace was edited or lost; delete the "
                    "client's data, trace and progress folders to rerun it"
                )
            self.progress.advance(task, len(turn_recs))
            for turn in range(len(turn_recs) + 1, cfg.turns + 1):
                if self.stop.is_set():
                    raise _Stopped
                self._turn(agent, client, clock, session, turn)
                self.progress.advance(task)
            _advance(clock, cfg.turn_time(session, cfg.turns + 1))
            end_answers = client.end_session()
            review = agent.end_session(
                self.cid, phq9=list(end_answers.phq9), gad7=list(end_answers.gad7)
            )
            recovered = False
        else:  # the agent ended the session but the run stopped before recording it
            session_id = start_rec.session_id if start_rec else f"{self.cid}-s{session:03d}"
            _advance(clock, cfg.turn_time(session, cfg.turns + 1))
            end_answers = client.end_session()
            recovered = True
            self.progress.advance(task, cfg.turns)
        end = SessionEndRecord(
            client_id=self.cid,
            session=session,
            session_id=session_id,
            at=clock(),
            questionnaires=QuestionnaireRecord.from_answers(end_answers),
            client_state=client.state,
            client_summary=client.memory.long_term[-1] if client.memory.long_term else "",
            review=to_jsonable(review) if review else None,
            recovered=recovered,
        )
        self.writer.append(end)
        self._mark(end)

    def _mark(self, end: SessionEndRecord) -> None:
        mark_session_done(
            self.out,
            self.cid,
            end.session,
            {"session_id": end.session_id, "at": end.at.isoformat(), "recovered": end.recovered},
        )

    def _turn(
        self, agent: Therapist, client: SimulatedClient, clock: ManualClock, session: int, turn: int
    ) -> None:
        _advance(clock, self.config.turn_time(session, turn))
        state_before = client.state
        said = client.speak()
        reply = agent.respond(self.cid, said.text)
        heard = therapist_turn(reply)
        move = client.hear(heard)
        agent_index = int(getattr(reply, "turn_index", turn) or turn)
        self.writer.append(
            TraceTurn(
                client_id=self.cid,
                session=session,
                turn=turn,
                at=clock(),
                client_text=said.text,
                client_action=said.action,
                revealed_complaint=said.revealed_complaint,
                risk_statement=said.risk_statement,
                client_state=state_before,
                therapist=to_jsonable(reply),
                move=move,
                client_state_after=client.state,
                gap=max(0, agent_index - turn),
            )
        )
        self.turns_written += 1


def _advance(clock: ManualClock, when: datetime) -> None:
    if when > clock():
        clock.set(when)


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
    embedder: Any | None = None,
    client_model_factory: Callable[[ClientProfile], Any] | None = None,
    progress: bool = True,
    console: Any | None = None,
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
    _write_manifest(out, manifest)
    bars = _Progress(
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
        from theraloop.simulations._ray import run_on_ray

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
    _write_manifest(out, manifest)
    return RunResult(
        out=out, manifest=manifest, outcomes=outcomes, wall_s=wall, interrupted=interrupted
    )


def _run_on_threads(
    config: RunConfig,
    out: Path,
    profiles: Sequence[ClientProfile],
    factory: AgentFactory,
    client_model_factory: Callable[[ClientProfile], Any] | None,
    bars: _Progress,
) -> tuple[list[ClientOutcome], bool]:
    """Run the clients on ``config.workers`` threads; return the outcomes and if interrupted."""
    if client_model_factory is None and config.client_model != "fake":
        client_model_factory = _client_model_factory(config)
    stop = threading.Event()
    interrupted = False
    jobs = [_ClientJob(p, config, out, factory, bars, stop, client_model_factory) for p in profiles]
    results: dict[int, ClientOutcome] = {}
    with bars.running(), ThreadPoolExecutor(max_workers=config.workers) as pool:
        futures = [pool.submit(_safe_run, job) for job in jobs]
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


def _safe_run(job: _ClientJob) -> ClientOutcome:
    try:
        return job.run()
    except _Stopped:
        return ClientOutcome(
            client_id=job.cid,
            sessions_done=len(completed_sessions(job.out, job.cid)),
            turns_written=job.turns_written,
            error="interrupted",
        )
    except Exception as exc:  # noqa: BLE001 - one client's failure must not stop the others
        return ClientOutcome(
            client_id=job.cid,
            sessions_done=len(completed_sessions(job.out, job.cid)),
            turns_written=job.turns_written,
            error=f"{type(exc).__name__}: {exc}",
        )


def _client_model_factory(config: RunConfig) -> Callable[[ClientProfile], Any]:
    """Build one client chat model per profile; llama.cpp weights are loaded once per run."""
    pools: list[Any] = []
    lock = threading.Lock()

    def build(profile: ClientProfile) -> Any:
        from theraloop.agent.llm import ModelPool, make_chat_model
        from theraloop.simulations.dynamics import rng_for

        with lock:
            if not pools:
                pools.append(ModelPool())
        seed = rng_for(config.seed, profile.id, "client-model").randrange(2**31)
        return make_chat_model(
            config.client_model, temperature=0.7, seed=seed, max_tokens=120, pool=pools[0]
        )

    return build


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
            from theraloop.simulations._ray import ray_connection

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
