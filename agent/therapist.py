"""``TherapistAgent``: the public face of theraloop, wiring both loops to persistence.

A session is one LangGraph thread (``thread_id = session_id``); every client turn is one
invocation of the intra-session graph, checkpointed after each node. If the process dies mid-turn,
the next call for that client first finishes the interrupted turn from its checkpoint, so no turn
is lost; memory and record writes are keyed by turn, so nothing is written twice. ``end_session``
runs the supervisor graph on its own thread with the same guarantees.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import ExitStack
from datetime import datetime
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore
from pydantic import BaseModel, ConfigDict, Field

from theraloop.agent._validation import check_client_id, clean_message
from theraloop.agent.context import SessionContext, SupervisorContext
from theraloop.agent.errors import InvalidInputError, SessionNotStartedError, UnknownClientError
from theraloop.agent.prompts import REPEAT_WINDOW, draft_problem, opening_messages
from theraloop.agent.records import (
    ClientHistory,
    RecordBook,
    SessionRecord,
    SessionReview,
    SessionSummary,
    TreatmentPlan,
)
from theraloop.agent.session_graph import build_intra_session, call_model
from theraloop.agent.settings import Settings
from theraloop.agent.state import RecalledMemory, TurnRecord
from theraloop.agent.supervisor_graph import build_cross_session
from theraloop.memory.clock import Clock, system_clock
from theraloop.strategies import Modality, score_gad7, score_phq9
from theraloop.strategies.catalog import strategy_ids
from theraloop.strategies.vocab import EMOTIONS

__all__ = ["TherapistAgent", "SessionInfo", "Reply", "Role"]

Role = Literal["therapist", "perception", "safety", "supervisor"]


class Reply(BaseModel):
    """The therapist's answer to one client message, with why it answered so."""

    model_config = ConfigDict(frozen=True)

    text: str
    session_id: str
    turn_index: int
    trace_id: str
    emotion: str
    intensity: int
    reaction: str | None
    risk_level: str
    crisis: bool
    strategy: str | None
    strategy_reason: str | None
    modality: str | None
    stage: str | None
    reply_source: str
    recalled: tuple[RecalledMemory, ...] = ()
    model_errors: tuple[str, ...] = Field(
        default=(),
        description="Every model call of the turn that failed or was rejected, redacted and "
        "prefixed with its role (therapist, safety, perception); empty when all went well.",
    )
    trace: dict[str, Any] = Field(default_factory=dict, description="The turn's decision trace.")


class SessionInfo(BaseModel):
    """A started (or resumed) session and the therapist's opening words."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    session_id: str
    session_number: int
    started_at: datetime
    opening: str
    plan: TreatmentPlan | None
    resumed: bool = False
    turns_so_far: int = 0
    model_errors: tuple[str, ...] = ()
    """Failed therapist-model calls for the opening (redacted); the fallback opening says why."""


def _reply(session_id: str, turn: TurnRecord, trace: dict[str, Any]) -> Reply:
    return Reply(
        text=turn.reply,
        session_id=session_id,
        turn_index=turn.turn_index,
        trace_id=turn.trace_id,
        emotion=turn.emotion,
        intensity=turn.intensity,
        reaction=turn.reaction,
        risk_level=turn.risk_level,
        crisis=turn.crisis,
        strategy=turn.strategy,
        strategy_reason=turn.strategy_reason,
        modality=turn.modality,
        stage=turn.stage,
        reply_source=turn.reply_source,
        recalled=turn.recalled,
        model_errors=tuple(trace.get("model_errors", ())),
        trace=trace,
    )


def _model_errors(turn: TurnRecord, values: dict[str, Any]) -> list[str]:
    """Return the turn's failed model calls by role, from its record and the graph's state."""
    errors = [f"therapist: {e}" for e in turn.errors]
    if values.get("turn_index") == turn.turn_index:
        risk = values.get("risk")
        errors += [f"safety: {e}" for e in (risk.errors if risk is not None else ())]
        emotion = values.get("emotion")
        if emotion is not None and emotion.method == "fallback":
            errors.append(
                "perception: the LLM perceiver failed; the embedding classifier read the message"
            )
    return errors


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

    Build it from :class:`Settings` (the composition root) or inject every part yourself.

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
        *,
        therapist_model: BaseChatModel,
        records_store: BaseStore,
        checkpointer: BaseCheckpointSaver,
        embedder: Any,
        perceiver: Any,
        assessor: Any,
        guard: Any,
        memory: Any | None = None,
        supervisor_model: BaseChatModel | None = None,
        clock: Clock = system_clock,
        settings: Settings | None = None,
        on_crisis: Callable[[Any], None] | None = None,
        resources: ExitStack | None = None,
    ) -> None:
        self.settings = settings or Settings(therapist_model="fake")
        self.therapist_model = therapist_model
        self.supervisor_model = supervisor_model or therapist_model
        self.records = RecordBook(records_store)
        self.memory = memory if self.settings.use_memory else None
        self._memory_backend = memory
        self.embedder = embedder
        self.perceiver = perceiver
        self.assessor = assessor
        self.guard = guard
        self.clock = clock
        self.on_crisis = on_crisis
        self.checkpointer = checkpointer
        self.session_graph = build_intra_session(checkpointer=checkpointer, store=records_store)
        self.supervisor_graph = build_cross_session(checkpointer=checkpointer)
        self._resources = resources or ExitStack()
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
        embedder: Any | None = None,
        on_crisis: Callable[[Any], None] | None = None,
    ) -> TherapistAgent:
        """Build the agent and its stores from settings.

        ``models`` overrides a role's model and ``embedder`` the sentence embedder, so tests and
        simulations can share one loaded instance across many agents.
        """
        from theraloop.agent._wiring import build_components

        parts = build_components(settings, clock=clock, models=models or {}, embedder=embedder)
        return cls(settings=settings, clock=clock, on_crisis=on_crisis, **parts)

    def close(self) -> None:
        """Release database connections and other resources."""
        self._resources.close()

    def __enter__(self) -> TherapistAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # helpers ----------------------------------------------------------------------------------
    def _lock(self, client_id: str) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(client_id, threading.RLock())

    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
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

    def _opening(
        self, client_id: str, number: int, plan: TreatmentPlan | None
    ) -> tuple[str, list[str]]:
        reviews = self.records.reviews(client_id) if self.memory is not None else []
        last = reviews[-1].summary if reviews else None
        portrait = self.records.portrait(client_id) if self.memory is not None else None
        messages = opening_messages(
            plan=plan, last_summary=last, portrait=portrait, session_number=number
        )
        text, errors = call_model(
            self.therapist_model,
            messages,
            retries=self.settings.model_retries,
            timeout_s=self.settings.model_timeout_s,
            max_tokens=120,
        )
        errors = [f"therapist: {e}" for e in errors]
        if text:
            return text, errors
        return fallback_opening(last), [*errors, "therapist: the opening is the fixed fallback"]

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
            opening, errors = self._opening(client_id, number, plan)
            record = SessionRecord(
                client_id=client_id,
                session_id=f"{client_id}-s{number:03d}",
                session_number=number,
                started_at=self.clock(),
                phq9_start=tuple(phq9) if phq9 else None,
                gad7_start=tuple(gad7) if gad7 else None,
                opening=opening,
            )
            self.records.save_session(record)
            return SessionInfo(
                client_id=client_id,
                session_id=record.session_id,
                session_number=number,
                started_at=record.started_at,
                opening=record.opening,
                plan=plan,
                model_errors=tuple(errors),
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
            trace = {**trace, "latency_ms": latency, "model_errors": _model_errors(turn, values)}
            self.records.save_trace(client_id, turn.trace_id, trace)
        return _reply(session_id, turn, trace)

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
        elif snapshot.values.get("signals") is not None:
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
        review = values.get("review") or self._plain_review(record, values)
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

    def _plain_review(self, record: SessionRecord, values: dict[str, Any]) -> SessionReview:
        """Review of a session when the cross-session loop is off: measured, never re-planned."""
        from theraloop.agent.supervisor_graph import extractive_summary

        plan = self.records.current_plan(record.client_id)
        assert plan is not None  # every session starts with a plan
        review = SessionReview(
            client_id=record.client_id,
            session_id=record.session_id,
            session_number=record.session_number,
            at=self.clock(),
            summary=extractive_summary(self._turns(record.session_id)),
            signals=values["signals"].as_dict(),
            decision="keep",
            modality_before=plan.modality,
            modality_after=plan.modality,
            reason="Cross-session review is switched off (ablation); the plan stays as it is.",
            plan_version=plan.version,
            plan=plan,
            summary_source="extractive",
        )
        self.records.save_review(review)
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
        turn_index = len(turns) + 1
        config = self._config(record.session_id)
        splitter = _SentenceGate()
        recent = [t.reply for t in turns[-REPEAT_WINDOW:]]
        draft_id: str | None = None
        risk = None
        released = ""
        for mode, payload in self.session_graph.stream(
            {"client_text": text, "turn_index": turn_index},
            config,
            context=self._session_context(record),
            stream_mode=["messages", "updates"],
            durability="sync",
        ):
            if mode == "updates":
                for update in payload.values():
                    if isinstance(update, dict) and update.get("risk") is not None:
                        risk = update["risk"]
                continue
            chunk, meta = payload
            if meta.get("langgraph_node") != "respond" or splitter.closed:
                continue
            draft_id = draft_id or chunk.id
            if chunk.id != draft_id:  # a regeneration after the guard fired: not streamed
                splitter.close()
                continue
            for sentence in splitter.feed(str(chunk.content)):
                sentence = sentence if released else sentence.lstrip()
                problem = draft_problem(sentence, recent)
                if (problem is None or problem.kind == "empty") and self.guard.check(
                    released + sentence, text, risk
                ).ok:
                    released += sentence
                    yield sentence
                else:
                    splitter.close()
                    break
        last = self._turns(record.session_id)[-1]
        self._reply_for(record.client_id, record.session_id, last)  # completes the turn's trace
        final = last.reply
        done = released.rstrip()
        if final.startswith(done):
            tail = final[len(done) :]
            if tail.strip():
                yield tail.lstrip() if released != done or not released else tail
        else:
            yield ("\n\n" if released else "") + final

    async def astream(self, client_id: str, text: str) -> AsyncIterator[str]:
        """Async twin of :meth:`stream`: the graph runs in a worker thread, pieces arrive here."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def pump() -> None:
            try:
                for piece in self.stream(client_id, text):
                    loop.call_soon_threadsafe(queue.put_nowait, ("piece", piece))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's task
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

        worker = asyncio.create_task(asyncio.to_thread(pump))
        try:
            while True:
                kind, value = await queue.get()
                if kind == "piece":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            await worker


def fallback_opening(last: SessionSummary | None) -> str:
    """Return the opening used when the model gives none: a greeting, a bridge, the homework.

    The bridge names the last session's topics rather than quoting its summary, which is written
    about the client ("The client discussed ...") and reads wrongly when said to them.

    Example:
        >>> print(fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work"))))
        Welcome back. Last time we talked about sleep and work. How have things been since then?
        >>> print(fallback_opening(SessionSummary(text="...", homework="Log two walks.")))
        Welcome back. How did it go with log two walks?
        >>> summary = SessionSummary(text="...", concerns=("depression",), worked_on=("question",))
        >>> print(fallback_opening(summary))  # perceived labels and strategy ids are not topics
        Welcome back. How have things been since then?
    """
    if last is None:
        return "Hello, I'm glad you're here. What would you like to talk about today?"
    topics = [t for t in map(_topic, (*last.concerns, *last.worked_on)) if t][:2]
    bridge = f" Last time we talked about {' and '.join(topics)}." if topics else ""
    homework = (last.homework or "").strip().rstrip(".")
    if homework:
        if homework[1:2].islower():
            homework = homework[0].lower() + homework[1:]
        return f"Welcome back.{bridge} How did it go with {homework}?"
    return f"Welcome back.{bridge} How have things been since then?"


_NO_TOPIC = frozenset({"", "none", "n/a", "na", "nothing", "unknown", "not discussed", "-"})
_TOPIC_VERB = re.compile(
    r"^(?:(?:we\s+)?(?:worked|talked|spoke|focused)\s+(?:on|about)|discussed|explored|practi[cs]ed|"
    r"reviewed|identified)\s+",
    re.IGNORECASE,
)


def _is_internal_label(topic: str) -> bool:
    """An emotion label or strategy id (the extractive summary's vocabulary) is not a topic."""
    label = topic.strip().lower().replace(" ", "_")
    return label in EMOTIONS or label in strategy_ids()


def _topic(text: str) -> str | None:
    """Return a summary topic fit to say to the client, or ``None``.

    Concerns and work items come from the supervisor model: "Worked on sleep hygiene" becomes
    "sleep hygiene"; "none", quoted lines and items about "the client" are left out.
    """
    topic = _TOPIC_VERB.sub("", " ".join(text.split()).strip().rstrip("."))
    if (
        topic.lower() in _NO_TOPIC
        or _is_internal_label(topic)
        or ":" in topic
        or "client" in topic.lower()
        or len(topic.split()) > 8
    ):
        return None
    return topic[0].lower() + topic[1:] if topic[1:2].islower() else topic


class _SentenceGate:
    """Gather streamed tokens into sentences (ending in . ! ? or a newline, with what follows)."""

    _END = re.compile(r"[.!?…]+[\"')\]]*\s+|\n+")

    def __init__(self) -> None:
        self._buffer = ""
        self.closed = False

    def feed(self, token: str) -> list[str]:
        """Add a token; return the sentences it completed, trailing whitespace included."""
        self._buffer += token
        out = []
        while (match := self._END.search(self._buffer)) is not None:
            out.append(self._buffer[: match.end()])
            self._buffer = self._buffer[match.end() :]
        return out

    def close(self) -> None:
        """Release nothing more from this draft."""
        self.closed = True
