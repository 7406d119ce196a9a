"""``TherapistAgent``: the public face of theraloop, wiring both loops to persistence.

A session is one LangGraph thread (``thread_id = session_id``); every client turn is one
invocation of the intra-session graph, checkpointed after each node. If the process dies mid-turn,
the next call for that client first finishes the interrupted turn from its checkpoint, so no turn
is lost; memory and record writes are keyed by turn, so nothing is written twice. ``end_session``
runs the supervisor graph on its own thread with the same guarantees. Openings live in
:mod:`~theraloop.agent.openings`, sentence-gated streaming in :mod:`~theraloop.agent.streaming`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig

from theraloop.agent._validation import check_client_id, clean_message
from theraloop.agent.components import Components
from theraloop.agent.context import SessionContext, SupervisorContext
from theraloop.agent.errors import InvalidInputError, SessionNotStartedError, UnknownClientError
from theraloop.agent.openings import open_session
from theraloop.agent.prompts import REPEAT_WINDOW
from theraloop.agent.records import (
    ClientHistory,
    RecordBook,
    SessionRecord,
    SessionReview,
    TreatmentPlan,
)
from theraloop.agent.replies import Reply, SessionInfo, model_errors
from theraloop.agent.session_graph import build_intra_session
from theraloop.agent.settings import Settings
from theraloop.agent.state import TurnRecord
from theraloop.agent.streaming import pump, release_checked, rest_of_reply
from theraloop.agent.supervisor_graph import build_cross_session
from theraloop.memory.clock import Clock, system_clock
from theraloop.strategies import Modality, score_gad7, score_phq9

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from theraloop.agent.safety import CrisisEvent
    from theraloop.memory import Embedder

__all__ = ["TherapistAgent", "SessionInfo", "Reply"]


def _answers(items: Sequence[int] | None, name: str) -> list[int] | None:
    if items is None:
        return None
    scorer = score_phq9 if name == "phq9" else score_gad7
    try:
        scorer(items)
    except ValueError as exc:
        raise InvalidInputError(f"{name}: {exc}") from None
    return list(items)


class TherapistAgent:
    """A counselor that remembers each client across sessions and adapts its therapy.

    Build it from :class:`Settings` (the composition root) or hand it your own
    :class:`~theraloop.agent.components.Components`.

    Example:
        >>> from datetime import UTC, datetime
        >>> from theraloop.agent import Settings, TherapistAgent
        >>> from theraloop.memory import ManualClock
        >>> agent = TherapistAgent.from_settings(
        ...     Settings(data_dir="/tmp/theraloop-doctest", therapist_model="fake"),
        ...     clock=ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ... )  # doctest: +SKIP
        >>> info = agent.start_session("alice")  # doctest: +SKIP
        >>> reply = agent.respond("alice", "I can't sleep since the move.")  # doctest: +SKIP

    Raises:
        SessionNotStartedError: ``respond``/``end_session`` without an open session.
        InvalidInputError: empty, oversized or invalid text; bad client id or questionnaire.
    """

    def __init__(
        self,
        components: Components,
        *,
        clock: Clock = system_clock,
        settings: Settings | None = None,
        on_crisis: Callable[[CrisisEvent], None] | None = None,
    ) -> None:
        """Wire ``components`` to both graphs; the agent closes their ``resources``."""
        self.settings = settings or Settings(therapist_model="fake")
        self.therapist_model = components.therapist_model
        self.supervisor_model = components.supervisor_model or components.therapist_model
        self.records = RecordBook(components.records_store)
        self.memory = components.memory if self.settings.use_memory else None
        self._memory_backend = components.memory
        self.embedder = components.embedder
        self.perceiver = components.perceiver
        self.assessor = components.assessor
        self.guard = components.guard
        self.clock = clock
        self.on_crisis = on_crisis
        self.checkpointer = components.checkpointer
        self.session_graph = build_intra_session(
            checkpointer=components.checkpointer, store=components.records_store
        )
        self.supervisor_graph = build_cross_session(checkpointer=components.checkpointer)
        self._resources = components.resources
        self._locks: dict[str, threading.RLock] = {}
        # client -> (session, turn) finished by crash recovery whose reply no caller has seen yet
        self._recovered: dict[str, tuple[str, int]] = {}
        self._locks_guard = threading.Lock()

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        models: dict[str, BaseChatModel] | None = None,
        embedder: Embedder | None = None,
        on_crisis: Callable[[CrisisEvent], None] | None = None,
    ) -> TherapistAgent:
        """Build the agent and its stores from settings.

        ``models`` overrides a role's model and ``embedder`` the sentence embedder, so tests and
        simulations can share one loaded instance across many agents.
        """
        from theraloop.agent._wiring import build_components

        parts = build_components(settings, clock=clock, models=models or {}, embedder=embedder)
        return cls(parts, settings=settings, clock=clock, on_crisis=on_crisis)

    def close(self) -> None:
        """Release database connections and other resources."""
        self._resources.close()

    def __enter__(self) -> TherapistAgent:
        """Return the agent; leaving the block closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the agent."""
        self.close()

    # helpers ----------------------------------------------------------------------------------
    def _lock(self, client_id: str) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(client_id, threading.RLock())

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _session_context(self, record: SessionRecord) -> SessionContext:
        s = self.settings
        return SessionContext(
            client_id=record.client_id,
            session_id=record.session_id,
            session_number=record.session_number,
            therapist_model=self.therapist_model,
            perceiver=self.perceiver,
            assessor=self.assessor,
            guard=self.guard,
            records=self.records,
            clock=self.clock,
            embedder=self.embedder,
            memory=self.memory,
            memory_k=s.memory_k,
            locale=s.locale,
            model_retries=s.model_retries,
            model_timeout_s=s.model_timeout_s,
            max_reply_tokens=s.max_reply_tokens,
            on_crisis=self.on_crisis,
        )

    def _supervisor_context(self, record: SessionRecord) -> SupervisorContext:
        s = self.settings
        return SupervisorContext(
            client_id=record.client_id,
            session_id=record.session_id,
            session_number=record.session_number,
            supervisor_model=self.supervisor_model,
            records=self.records,
            clock=self.clock,
            memory=self.memory,
            fixed_modality=s.fixed_modality,
            review_enabled=s.cross_session,
            model_retries=s.model_retries,
            model_timeout_s=s.model_timeout_s,
            review_timeout_s=s.review_timeout_s,
        )

    def session_context(self, client_id: str) -> SessionContext:
        """Return the ready context of the client's open session, for an app's own graph.

        Pass it as ``context=`` when the app runs :func:`theraloop.agent.graphs.build_intra_session`
        as a subgraph; every dependency (models, perceiver, risk assessor, guard, records, memory)
        is this agent's. Open the session first with :meth:`start_session`.

        Raises:
            SessionNotStartedError: the client has no open session.
        """
        return self._session_context(self._open(check_client_id(client_id)))

    def supervisor_context(self, client_id: str) -> SupervisorContext:
        """Return the ready context to review the client's open session with an app's graph.

        Pass it as ``context=`` to :func:`theraloop.agent.graphs.build_cross_session`; the app
        closes the session with :meth:`close_session` once the review has run.

        Raises:
            SessionNotStartedError: the client has no open session.
        """
        return self._supervisor_context(self._open(check_client_id(client_id)))

    def close_session(self, client_id: str) -> None:
        """Mark the client's open session closed (an app that ran the review in its own graph).

        Raises:
            SessionNotStartedError: the client has no open session.
        """
        client_id = check_client_id(client_id)
        with self._lock(client_id):
            record = self._open(client_id)
            self.records.save_session(
                record.model_copy(update={"status": "closed", "ended_at": self.clock()})
            )

    def _turns(self, session_id: str) -> list[TurnRecord]:
        snapshot = self.session_graph.get_state(self._config(session_id))
        return list(snapshot.values.get("turns", []))

    def _finish_pending(self, record: SessionRecord) -> str | None:
        """Complete a turn a crash interrupted; return its client text, or None if none was."""
        config = self._config(record.session_id)
        snapshot = self.session_graph.get_state(config)
        if not snapshot.next:
            return None
        values = self.session_graph.invoke(
            None, config, context=self._session_context(record), durability="sync"
        )
        turn = values["turns"][-1]
        self._recovered[record.client_id] = (record.session_id, turn.turn_index)
        self._reply_for(record.client_id, record.session_id, turn)  # completes the turn's trace
        return snapshot.values.get("client_text")

    def _open(self, client_id: str) -> SessionRecord:
        record = self.records.open_session(client_id)
        if record is None:
            raise SessionNotStartedError(
                f"client {client_id!r} has no open session; call start_session({client_id!r}) first"
            )
        return record

    def _intake_plan(self, client_id: str) -> TreatmentPlan:
        s = self.settings
        modality: Modality = s.fixed_modality or s.initial_modality
        plan = TreatmentPlan(
            version=1,
            created_at=self.clock(),
            after_session=0,
            modality=modality,
            stage="exploration",
            goals=(),
            agenda=(
                "Get to know the client and what brings them",
                "Agree what they want to change",
            ),
            reason="intake: first session, explore before choosing techniques",
        )
        self.records.save_plan(client_id, plan)
        return plan

    # public API -------------------------------------------------------------------------------
    def start_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionInfo:
        """Open the client's next session, or resume the open one exactly where it stopped."""
        client_id = check_client_id(client_id)
        phq9, gad7 = _answers(phq9, "phq9"), _answers(gad7, "gad7")
        with self._lock(client_id):
            open_record = self.records.open_session(client_id)
            if open_record is not None and self._review_started(open_record):
                self._end(open_record, None, None)  # end_session was interrupted: finish it first
                open_record = None
            if open_record is not None:
                self._finish_pending(open_record)
                return SessionInfo(
                    client_id=client_id,
                    session_id=open_record.session_id,
                    session_number=open_record.session_number,
                    started_at=open_record.started_at,
                    opening=open_record.opening,
                    plan=self.records.current_plan(client_id),
                    resumed=True,
                    turns_so_far=len(self._turns(open_record.session_id)),
                )
            number = len(self.records.sessions(client_id)) + 1
            plan = self.records.current_plan(client_id) or self._intake_plan(client_id)
            opening = open_session(
                self.therapist_model,
                self.records,
                client_id=client_id,
                session_number=number,
                plan=plan,
                remembers=self.memory is not None,
                retries=self.settings.model_retries,
                timeout_s=self.settings.model_timeout_s,
            )
            record = SessionRecord(
                client_id=client_id,
                session_id=f"{client_id}-s{number:03d}",
                session_number=number,
                started_at=self.clock(),
                phq9_start=tuple(phq9) if phq9 else None,
                gad7_start=tuple(gad7) if gad7 else None,
                opening=opening.text,
            )
            self.records.save_session(record)
            return SessionInfo(
                client_id=client_id,
                session_id=record.session_id,
                session_number=number,
                started_at=record.started_at,
                opening=record.opening,
                plan=plan,
                model_errors=opening.errors,
            )

    def respond(self, client_id: str, text: str) -> Reply:
        """Answer one client message through the full intra-session loop."""
        client_id = check_client_id(client_id)
        text = clean_message(text)
        with self._lock(client_id):
            record, turns, resent = self._begin_turn(client_id, text)
            if resent:
                return self._reply_for(client_id, record.session_id, turns[-1])
            ctx = self._session_context(record)
            result = self.session_graph.invoke(
                {"client_text": text, "turn_index": len(turns) + 1},
                self._config(record.session_id),
                context=ctx,
                durability="sync",  # each node's checkpoint is on disk before the next runs
            )
            return self._reply_for(client_id, record.session_id, result["turns"][-1])

    def _begin_turn(
        self, client_id: str, text: str
    ) -> tuple[SessionRecord, list[TurnRecord], bool]:
        """Prepare a new message (caller holds the lock): finish a turn a crash interrupted.

        Returns the open session, its turns so far, and whether ``text`` re-sends the message a
        crash interrupted and recovery (by respond or start_session) already answered: then the
        last turn is that answer, to hand out instead of a second turn.
        """
        record = self._open(client_id)
        self._finish_pending(record)
        turns = self._turns(record.session_id)
        recovered = self._recovered.pop(client_id, None)
        resent = (
            bool(turns)
            and recovered == (record.session_id, turns[-1].turn_index)
            and turns[-1].client_text == text
        )
        return record, turns, resent

    def _reply_for(self, client_id: str, session_id: str, turn: TurnRecord) -> Reply:
        traces = self.records.traces(client_id, session_id)
        trace = next((t for t in traces if t.get("trace_id") == turn.trace_id), {})
        # remember writes the trace before its own time is known: complete it from the state
        values = self.session_graph.get_state(self._config(session_id)).values
        timings = values.get("timings", [])
        latency = {t.node: round(t.ms, 2) for t in timings if t.turn_index == turn.turn_index}
        if trace and (
            latency.keys() - trace.get("latency_ms", {}).keys() or "model_errors" not in trace
        ):
            trace = {**trace, "latency_ms": latency, "model_errors": model_errors(turn, values)}
            self.records.save_trace(client_id, turn.trace_id, trace)
        return Reply(
            session_id=session_id,
            turn=turn,
            model_errors=tuple(trace.get("model_errors", ())),
            trace=trace,
        )

    def end_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionReview:
        """Close the open session and run the cross-session review; return its verdict."""
        client_id = check_client_id(client_id)
        phq9, gad7 = _answers(phq9, "phq9"), _answers(gad7, "gad7")
        with self._lock(client_id):
            return self._end(self._open(client_id), phq9, gad7)

    def _review_started(self, record: SessionRecord) -> bool:
        """Return whether ``end_session`` began reviewing ``record`` (then a crash may have hit)."""
        config = self._config(f"{record.session_id}:review")
        return bool(self.supervisor_graph.get_state(config).values)

    def _end(
        self, record: SessionRecord, phq9: list[int] | None, gad7: list[int] | None
    ) -> SessionReview:
        """Review and close ``record`` (caller holds the client's lock); resumable after a crash."""
        client_id = record.client_id
        self._finish_pending(record)
        self._recovered.pop(client_id, None)
        turns = self._turns(record.session_id)
        ctx = self._supervisor_context(record)
        config = self._config(f"{record.session_id}:review")
        snapshot = self.supervisor_graph.get_state(config)
        if snapshot.next:
            values = self.supervisor_graph.invoke(None, config, context=ctx, durability="sync")
        elif snapshot.values.get("review") is not None:
            values = snapshot.values  # finished before a crash; do not review twice
        else:
            values = self.supervisor_graph.invoke(
                {
                    "turns": turns,
                    "phq9_start": list(record.phq9_start) if record.phq9_start else None,
                    "gad7_start": list(record.gad7_start) if record.gad7_start else None,
                    "phq9_end": phq9,
                    "gad7_end": gad7,
                },
                config,
                context=ctx,
                durability="sync",
            )
        # a resumed review keeps the questionnaire answers of the call that started it
        phq9, gad7 = values.get("phq9_end", phq9), values.get("gad7_end", gad7)
        review: SessionReview = values["review"]
        self.records.save_session(
            record.model_copy(
                update={
                    "status": "closed",
                    "ended_at": self.clock(),
                    "phq9_end": tuple(phq9) if phq9 else None,
                    "gad7_end": tuple(gad7) if gad7 else None,
                }
            )
        )
        return review

    def history(self, client_id: str) -> ClientHistory:
        """Return the client's sessions, plan versions, reviews and crisis events in order.

        Raises:
            UnknownClientError: the client never had a session.
        """
        client_id = check_client_id(client_id)
        if not self.records.has_client(client_id):
            raise UnknownClientError(f"no client {client_id!r}; start a session first")
        return self.records.history(client_id)

    def traces(self, client_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
        """Return the decision traces of the client's turns, optionally of one session."""
        return self.records.traces(check_client_id(client_id), session_id)

    def export_client(self, client_id: str) -> dict[str, Any]:
        """Return everything theraloop holds about a client as JSON-ready data (right of access)."""
        client_id = check_client_id(client_id)
        if not self.records.has_client(client_id):
            raise UnknownClientError(f"no client {client_id!r}")
        sessions = self.records.sessions(client_id)
        return {
            "client_id": client_id,
            "records": self.records.export(client_id),
            "conversations": {
                s.session_id: [t.model_dump(mode="json") for t in self._turns(s.session_id)]
                for s in sessions
            },
            "memory": (
                self._memory_backend.export_client(client_id)
                if self._memory_backend is not None and self._memory_backend.has_client(client_id)
                else None
            ),
        }

    def erase_client(self, client_id: str) -> dict[str, int]:
        """Delete every trace of a client: memory, checkpoints, records. Returns counts."""
        client_id = check_client_id(client_id)
        with self._lock(client_id):
            sessions = self.records.sessions(client_id)
            threads = 0
            for s in sessions:
                for thread in (s.session_id, f"{s.session_id}:review"):
                    self.checkpointer.delete_thread(thread)
                    threads += 1
            counts = {"checkpoint_threads": threads, "records": self.records.erase(client_id)}
            from theraloop.agent._wiring import flush_erased

            flush_erased(self.checkpointer, self.records.store)
            if self._memory_backend is not None and self._memory_backend.has_client(client_id):
                report = self._memory_backend.erase_client(client_id)
                counts["memory_items"] = int(report.items_deleted)
                counts["memory_trace_events"] = int(report.trace_events_deleted)
            return counts

    # async and streaming twins -------------------------------------------------------------------
    async def astart_session(self, client_id: str, **kwargs: Any) -> SessionInfo:
        """Async twin of :meth:`start_session` (runs in a worker thread)."""
        return await asyncio.to_thread(self.start_session, client_id, **kwargs)

    async def arespond(self, client_id: str, text: str) -> Reply:
        """Async twin of :meth:`respond` (runs in a worker thread)."""
        return await asyncio.to_thread(self.respond, client_id, text)

    async def aend_session(self, client_id: str, **kwargs: Any) -> SessionReview:
        """Async twin of :meth:`end_session` (runs in a worker thread)."""
        return await asyncio.to_thread(self.end_session, client_id, **kwargs)

    def stream(self, client_id: str, text: str) -> Iterator[str]:
        """Answer like :meth:`respond`, yielding the reply while the model generates it.

        The therapist model's tokens are gathered into sentences, and a sentence is released
        only once the reply guard has passed the whole reply up to and including it, so no
        unchecked text reaches the client. Risk is assessed before any token is generated, and
        a crisis turn yields the fixed protocol reply in one piece. If the guard rejects a later
        part of the draft, the rest is withheld and the safe reply that replaced the draft
        follows what was already released. The turn is recorded exactly as :meth:`respond`
        records it; consume the iterator to the end to complete it.
        """
        client_id = check_client_id(client_id)
        text = clean_message(text)
        with self._lock(client_id):
            record, turns, resent = self._begin_turn(client_id, text)
            if resent:
                yield turns[-1].reply
                return
            yield from self._stream_turn(record, text, turns)

    def _stream_turn(
        self, record: SessionRecord, text: str, turns: list[TurnRecord]
    ) -> Iterator[str]:
        released = yield from release_checked(
            self.session_graph,
            {"client_text": text, "turn_index": len(turns) + 1},
            self._config(record.session_id),
            self._session_context(record),
            recent=[t.reply for t in turns[-REPEAT_WINDOW:]],
        )
        last = self._turns(record.session_id)[-1]
        self._reply_for(record.client_id, record.session_id, last)  # completes the turn's trace
        rest = rest_of_reply(released, last.reply)
        if rest is not None:
            yield rest

    def astream(self, client_id: str, text: str) -> AsyncIterator[str]:
        """Async twin of :meth:`stream`: the graph runs in a worker thread, pieces arrive here."""
        return pump(lambda: self.stream(client_id, text))
