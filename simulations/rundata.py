"""A simulation run read back from disk, typed, for reports, judges and notebooks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.profiles import ClientProfile
from theraloop.simulations.runner import ABLATION_LABELS, RunManifest, load_manifest
from theraloop.simulations.trace import SessionEndRecord, SessionStartRecord, TraceTurn, read_trace

if TYPE_CHECKING:
    from theraloop.memory import Embedder, MemoryStore

__all__ = ["SessionRun", "ClientRun", "Run", "load_run", "find_runs", "open_client_memory"]


@dataclass(frozen=True)
class SessionRun:
    """One session of one client: its start, its turns and its end (when it finished)."""

    client_id: str
    number: int
    start: SessionStartRecord | None
    turns: list[TraceTurn] = field(default_factory=list)
    end: SessionEndRecord | None = None

    @property
    def complete(self) -> bool:
        """Return whether the session ended and was recorded."""
        return self.end is not None

    @property
    def modality(self) -> str | None:
        """Return the modality the therapist worked in (the last reply's, else the plan's)."""
        for turn in reversed(self.turns):
            modality = turn.therapist.get("modality")
            if modality:
                return str(modality)
        if self.start is not None and self.start.plan:
            return self.start.plan.get("modality")
        return None


@dataclass(frozen=True)
class ClientRun:
    """Every recorded session of one client."""

    client_id: str
    profile: ClientProfile | None
    sessions: list[SessionRun]

    @property
    def complete_sessions(self) -> list[SessionRun]:
        """Return the sessions that ended."""
        return [s for s in self.sessions if s.complete]

    @property
    def last_at(self) -> datetime | None:
        """Return the simulated time of the client's last recorded event (``None``: none yet)."""
        times = [
            rec.at for s in self.sessions for rec in (s.start, *s.turns, s.end) if rec is not None
        ]
        return max(times) if times else None


@dataclass(frozen=True)
class Run:
    """A run directory: its manifest and every client's sessions."""

    path: Path
    manifest: RunManifest
    clients: dict[str, ClientRun]

    @property
    def label(self) -> str:
        """Return the ablation label (``full``, ``no-memory``, ...)."""
        return ABLATION_LABELS.get(self.manifest.ablation, self.manifest.ablation)

    def data_dir(self, client_id: str) -> Path:
        """Return the agent's data directory of a client (Chroma memory, checkpoints, records).

        Open it with ``theraloop.agent.Settings(data_dir=...)`` or the memory inspection tools.
        """
        return self.path / "clients" / client_id


def _profile(run_dir: Path, client_id: str) -> ClientProfile | None:
    path = run_dir / "profiles" / f"{client_id}.json"
    if not path.is_file():
        return None
    return ClientProfile.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_run(path: str | Path) -> Run:
    """Load a run directory written by ``theraloop simulate``.

    Raises:
        InvalidInputError: ``path`` is not a run directory.
    """
    run_dir = Path(path)
    manifest = load_manifest(run_dir)
    clients: dict[str, ClientRun] = {}
    for entry in manifest.clients:
        records = read_trace(run_dir / "traces" / f"{entry.id}.jsonl")
        by_session: dict[int, dict] = {}
        for rec in records:
            slot = by_session.setdefault(rec.session, {"start": None, "turns": [], "end": None})
            if isinstance(rec, SessionStartRecord):
                slot["start"] = rec
            elif isinstance(rec, TraceTurn):
                slot["turns"].append(rec)
            else:
                slot["end"] = rec
        sessions = [
            SessionRun(
                client_id=entry.id,
                number=n,
                start=slot["start"],
                turns=sorted(slot["turns"], key=lambda t: t.turn),
                end=slot["end"],
            )
            for n, slot in sorted(by_session.items())
        ]
        clients[entry.id] = ClientRun(
            client_id=entry.id, profile=_profile(run_dir, entry.id), sessions=sessions
        )
    return Run(path=run_dir, manifest=manifest, clients=clients)


def find_runs(path: str | Path) -> dict[str, Run]:
    """Return the runs in ``path``: itself if it is a run, else its run subfolders, by label.

    Raises:
        InvalidInputError: neither ``path`` nor any of its subfolders is a run directory.
    """
    root = Path(path)
    if (root / "manifest.json").is_file():
        run = load_run(root)
        return {run.label: run}
    runs: dict[str, Run] = {}
    order = list(ABLATION_LABELS.values())
    if root.is_dir():
        subs = [p for p in root.iterdir() if (p / "manifest.json").is_file()]
        subs.sort(key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name))
        for sub in subs:
            run = load_run(sub)
            label = run.label if run.label not in runs else sub.name
            runs[label] = run
    if not runs:
        raise InvalidInputError(
            f"{str(root)!r} holds no simulation run (no manifest.json in it or its subfolders); "
            "run `theraloop simulate --out DIR` first"
        )
    return runs


def open_client_memory(
    run: Run, client_id: str, *, embedder: Embedder | None = None
) -> MemoryStore:
    """Open the long-term memory the agent kept for one client of a run, to inspect it.

    The run keeps every client's agent data in ``RUN/clients/<client_id>`` (see
    :meth:`Run.data_dir`). The store's clock stands still at the client's last recorded
    moment in simulated time, so retention reads as it was when the run ended; use
    ``theraloop.memory.inspect`` on it (``items_table``, ``retention_curves``,
    ``explain_search``...).

    Args:
        run: From :func:`load_run`.
        client_id: One of ``run.clients``.
        embedder: The embedder of the run's agents; default MiniLM (the runner's default),
            loaded only when a query is embedded.

    Raises:
        InvalidInputError: an unknown client, a client with no recorded session, or a run
            without long-term memory (ablation ``no-memory``).
    """
    from theraloop.memory import ManualClock
    from theraloop.memory.datadir import open_memory_dir

    client = run.clients.get(client_id)
    if client is None:
        raise InvalidInputError(
            f"client {client_id!r} is not in the run {str(run.path)!r}; "
            f"use one of {sorted(run.clients)!r}"
        )
    if run.manifest.agent_settings.get("use_memory") is False:
        raise InvalidInputError(
            f"the run {str(run.path)!r} ({run.label}) had long-term memory switched off; "
            "open the full run of the same clients instead"
        )
    ended = client.last_at
    if ended is None:
        raise InvalidInputError(f"client {client_id!r} has no recorded session in this run yet")
    return open_memory_dir(run.data_dir(client_id), embedder=embedder, clock=ManualClock(ended))
