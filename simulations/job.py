"""One client's sessions against one therapist: the unit of work of every run backend.

The thread pool (:mod:`theraloop.simulations.runner`) and Ray (:mod:`theraloop.simulations._ray`)
both run a :class:`ClientJob` per client against a :class:`Therapist`, the typed part of
:class:`theraloop.agent.TherapistAgent` a run needs. A job resumes from the client's trace and the
agent's own checkpoint: an interrupted session continues from the next turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from theraloop.memory.clock import Clock, ManualClock
from theraloop.memory.errors import TheraloopError
from theraloop.simulations.client import SimulatedClient, make_client
from theraloop.simulations.config import RunConfig
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
    from theraloop.agent import ClientHistory, Reply, SessionInfo, SessionReview

__all__ = [
    "Therapist",
    "AgentFactory",
    "ClientModelFactory",
    "ProgressSink",
    "BarHandle",
    "ClientOutcome",
    "ClientJob",
    "RunStateError",
    "Stopped",
    "safe_run",
]


class RunStateError(TheraloopError, RuntimeError):
    """The run directory and the agent's data disagree; the message says what to delete."""


class Therapist(Protocol):
    """The part of :class:`theraloop.agent.TherapistAgent` a run uses, with the agent's types."""

    def start_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionInfo:
        """Open the client's next session, or resume the open one."""
        ...

    def respond(self, client_id: str, text: str) -> Reply:
        """Answer one client message."""
        ...

    def end_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionReview:
        """Close the open session and review it."""
        ...

    def history(self, client_id: str) -> ClientHistory:
        """Return everything that happened with the client (raises for an unknown client)."""
        ...

    def close(self) -> None:
        """Release the agent's models, stores and data-dir lock."""
        ...


AgentFactory = Callable[[Path, RunConfig, Clock], Therapist]
"""``factory(data_dir, config, clock)`` -> a therapist for one client."""

ClientModelFactory = Callable[[ClientProfile], BaseChatModel]
"""``factory(profile)`` -> the chat model that voices one simulated client."""


class ClientOutcome(BaseModel):
    """How one client's part of an invocation went."""

    client_id: str
    sessions_done: int
    turns_written: int = 0
    resumed: bool = False
    skipped: bool = False
    error: str | None = None
    wall_s: float = 0.0


class Stopped(Exception):
    """Raised inside a worker when the user interrupted the run."""


BarHandle = int | None
"""A client's progress bar as its sink names it (rich's task id); ``None`` when bars are off."""


class ProgressSink(Protocol):
    """What a client job reports its progress to: the bars, or a Ray task's event stream."""

    def add(self, description: str, total: int, completed: int) -> BarHandle:
        """Open the client's bar; returns its handle."""
        ...

    def update(self, task: BarHandle, description: str) -> None:
        """Change the bar's description."""
        ...

    def advance(self, task: BarHandle, steps: int = 1) -> None:
        """Count finished turns."""
        ...


class ClientJob:
    """Run one client's sessions, resuming from its trace and the agent's own checkpoint."""

    def __init__(
        self,
        profile: ClientProfile,
        config: RunConfig,
        out: Path,
        factory: AgentFactory,
        progress: ProgressSink,
        stop: threading.Event,
        client_model_factory: ClientModelFactory | None,
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
        """Run the client's sessions not yet marked done; return how it went."""
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
    def _agent_closed_session(
        self, agent: Therapist, session: int
    ) -> tuple[bool, SessionReview | None]:
        """Return whether the agent already closed ``session``, and its review of it if any."""
        try:
            history = agent.history(self.cid)
        except (LookupError, TheraloopError):
            return False, None
        if not any(s.session_number == session and s.status == "closed" for s in history.sessions):
            return False, None
        reviews = [r for r in history.reviews if r.session_number == session]
        return True, (reviews[-1] if reviews else None)

    def _session(
        self,
        agent: Therapist,
        client: SimulatedClient,
        clock: ManualClock,
        session: int,
        records: Sequence[TraceRecord],
        task: BarHandle,
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
        closed, review = (
            self._agent_closed_session(agent, session) if start_rec is not None else (False, None)
        )
        if not closed:
            info = agent.start_session(self.cid, phq9=list(answers.phq9), gad7=list(answers.gad7))
            if info.session_number != session:
                raise RunStateError(
                    f"client {self.cid!r}: the agent is at session {info.session_number} but the "
                    f"trace at session {session}; delete {str(self.out / 'clients' / self.cid)!r}, "
                    f"{str(trace_path(self.out, self.cid))!r} and "
                    f"{str(self.out / 'progress' / self.cid)!r} to rerun this client"
                )
            if start_rec is None:
                plan = info.plan
                opening = TherapistTurn(
                    text=info.opening,
                    modality=plan.modality if plan is not None else None,
                    stage=plan.stage if plan is not None else None,
                    opening=True,
                )
                move = client.hear(opening)
                self.writer.append(
                    SessionStartRecord(
                        client_id=self.cid,
                        session=session,
                        session_id=info.session_id,
                        at=clock(),
                        resumed=info.resumed,
                        opening=info.opening,
                        plan=to_jsonable(plan) if plan is not None else None,
                        questionnaires=QuestionnaireRecord.from_answers(answers),
                        life_event=self.profile.life_events.get(session),
                        opening_move=move,
                        client_state=client.state,
                    )
                )
            elif not info.resumed:
                raise RunStateError(
                    f"client {self.cid!r} session {session}: the trace has begun this session "
                    "but the agent has no open session to resume (its data was replaced?); "
                    "delete the client's data, trace and progress folders to rerun it"
                )
            else:
                self.resumed = True
            session_id = info.session_id
            agent_turns = info.turns_so_far
            if agent_turns > len(turn_recs) + 1:
                raise RunStateError(
                    f"client {self.cid!r} session {session}: the agent holds {agent_turns} turns "
                    f"but the trace {len(turn_recs)}; the trace was edited or lost; delete the "
                    "client's data, trace and progress folders to rerun it"
                )
            self.progress.advance(task, len(turn_recs))
            for turn in range(len(turn_recs) + 1, cfg.turns + 1):
                if self.stop.is_set():
                    raise Stopped
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
        agent_index = reply.turn_index
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


def safe_run(job: ClientJob) -> ClientOutcome:
    """Run ``job``; an interruption or a failure becomes the outcome's ``error``."""
    try:
        return job.run()
    except Stopped:
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
