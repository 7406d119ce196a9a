"""Clinical records of each client: sessions, versioned plans, reviews, signals, traces, crises.

Records sit in a LangGraph :class:`~langgraph.store.base.BaseStore` under the namespace
``("theraloop", client_id, <kind>)`` so the same code runs on ``InMemoryStore`` (tests),
``SqliteStore`` (the embedded default) and ``PostgresStore`` (scale-out). Every write is keyed
deterministically, which makes a node that is re-run after a crash overwrite rather than duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from langgraph.store.base import BaseStore
from pydantic import BaseModel, ConfigDict, Field

from theraloop.memory.models import MemoryItem
from theraloop.strategies import Modality, TreatmentStage

__all__ = [
    "SummarySource",
    "TreatmentPlan",
    "ClientPortrait",
    "PortraitFact",
    "SessionRecord",
    "SessionSignals",
    "SessionSummary",
    "SessionReview",
    "CrisisRecord",
    "ClientHistory",
    "RecordBook",
    "Decision",
]

Decision = Literal["keep", "adjust", "switch", "escalate"]
SummarySource = Literal["model", "extractive"]
"""Who wrote a session summary: the supervisor model, or the model-free extractive fallback."""
_ROOT = "theraloop"
_KINDS = ("sessions", "plans", "reviews", "signals", "traces", "crises", "portrait")
_MAX = 100_000


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TreatmentPlan(_Record):
    """What the therapist intends with this client; every change is a new version with a reason."""

    version: int = Field(ge=1, description="1 for the intake plan, +1 on every change.")
    created_at: datetime = Field(description="When this version was written (injected clock).")
    after_session: int = Field(ge=0, description="Session number it was made after (0 = intake).")
    modality: Modality = Field(description="Therapy modality the next session works in.")
    stage: TreatmentStage = Field(description="Exploration -> insight -> action.")
    goals: tuple[str, ...] = Field(default=(), description="Goals agreed or inferred so far.")
    agenda: tuple[str, ...] = Field(default=(), description="Agenda items for the next session.")
    homework: str | None = Field(default=None, description="Between-session task, if any.")
    reason: str = Field(description="Why this version exists, citing the signals.")
    escalated: bool = Field(default=False, description="A human clinician should review the case.")


class PortraitFact(_Record):
    """The client's latest statement of one fact key: where they live, a medication, a name."""

    key: str = Field(description="Fact key (theraloop.memory.facts), e.g. residence, name:sister.")
    text: str = Field(description="The client's words that state it, shortened.")
    stated_at: datetime = Field(description="When the client said it.")

    @classmethod
    def from_memory(cls, item: MemoryItem) -> PortraitFact:
        """Return the fact a memory holds (the memory must have a fact key)."""
        if item.fact_key is None:
            raise ValueError(f"memory {item.id!r} holds no fact key")
        text = item.text if len(item.text) <= _FACT_CHARS else item.text[: _FACT_CHARS - 1] + "…"
        return cls(key=item.fact_key, text=text, stated_at=item.created_at)


_FACT_CHARS = 160
_MAX_FACTS = 12


class ClientPortrait(_Record):
    """MemoryBank-style evolving picture of the client, rewritten after each session."""

    version: int = Field(default=0, ge=0, description="How many sessions have shaped it.")
    updated_at: datetime | None = None
    concerns: tuple[str, ...] = Field(default=(), description="Presenting concerns, newest last.")
    traits: tuple[str, ...] = Field(default=(), description="Stable traits and strengths observed.")
    patterns: tuple[str, ...] = Field(default=(), description="Recurring emotional patterns.")
    core_beliefs: tuple[str, ...] = Field(default=(), description="Core beliefs voiced.")
    distortions: tuple[str, ...] = Field(default=(), description="Cognitive distortions observed.")
    what_helped: tuple[str, ...] = Field(default=(), description="Strategies followed by relief.")
    facts: tuple[PortraitFact, ...] = Field(
        default=(), description="Current value of each fact key, oldest statement first."
    )

    def with_facts(self, current: Mapping[str, MemoryItem]) -> ClientPortrait:
        """Return the portrait holding ``current`` (the store's current facts) as its facts.

        Only the newest twelve are kept, so the prompt stays short; a fact that was superseded or
        forgotten is not among ``current`` and so leaves the portrait.
        """
        facts = sorted(
            (PortraitFact.from_memory(item) for item in current.values()),
            key=lambda f: (f.stated_at, f.key),
        )
        return self.model_copy(update={"facts": tuple(facts[-_MAX_FACTS:])})

    def render(self) -> str:
        """Return the portrait as compact text for prompts."""
        parts = [
            ("Concerns", self.concerns),
            ("Patterns", self.patterns),
            ("Core beliefs", self.core_beliefs),
            ("Distortions seen", self.distortions),
            ("Traits", self.traits),
            ("What helped", self.what_helped),
        ]
        lines = [f"{name}: {'; '.join(values)}" for name, values in parts if values]
        if self.facts:
            said = "; ".join(
                f'{f.key} ({f.stated_at.date().isoformat()}): "{f.text}"' for f in self.facts
            )
            lines.append(f"Current facts, in the client's latest words: {said}")
        return "\n".join(lines) if lines else "No portrait yet."


class SessionRecord(_Record):
    """One session's bookkeeping; the conversation itself lives in the checkpointer thread."""

    client_id: str
    session_id: str = Field(description="Also the LangGraph thread id of the session.")
    session_number: int = Field(ge=1)
    started_at: datetime
    ended_at: datetime | None = None
    status: Literal["open", "closed"] = "open"
    phq9_start: tuple[int, ...] | None = None
    gad7_start: tuple[int, ...] | None = None
    phq9_end: tuple[int, ...] | None = None
    gad7_end: tuple[int, ...] | None = None
    opening: str = Field(default="", description="The therapist's first words of the session.")


class SessionSignals(_Record):
    """Efficacy signals measured from one session; one point of each client time series."""

    session_number: int
    at: datetime
    turns: int = Field(description="Client turns in the session.")
    intensity_start: float | None = None
    intensity_end: float | None = None
    intensity_mean: float | None = None
    intensity_change: float | None = Field(
        default=None,
        description="Mean of the last third minus mean of the first third (<0 = relief).",
    )
    engaged_share: float | None = None
    resistant_share: float | None = None
    off_topic_share: float | None = None
    homework_followthrough: float | None = Field(
        default=None, description="1 done, 0.5 partly, 0 not done, None when no homework was set."
    )
    phq9_start: int | None = None
    phq9_end: int | None = None
    gad7_start: int | None = None
    gad7_end: int | None = None
    phq9_item9: int | None = Field(default=None, description="Highest PHQ-9 item 9 answer seen.")
    goal_progress: float | None = Field(
        default=None, description="Relative reduction of the primary score since intake (0..1)."
    )
    crisis: bool = False

    def as_dict(self) -> dict[str, float | None]:
        """Return the numeric signals (bools as 0/1) for reviews and reports."""
        out: dict[str, float | None] = {}
        for name, value in self.model_dump(exclude={"session_number", "at"}).items():
            out[name] = float(value) if isinstance(value, bool | int | float) else value
        return out


class SessionSummary(_Record):
    """What the supervisor keeps of a session."""

    text: str = Field(description="A short narrative summary (3-6 sentences).")
    concerns: tuple[str, ...] = Field(default=(), description="Presenting concerns discussed.")
    worked_on: tuple[str, ...] = Field(default=(), description="What was worked on.")
    homework: str | None = Field(default=None, description="Homework agreed, if any.")
    client_quotes: tuple[str, ...] = Field(default=(), description="Client's words worth keeping.")


class SessionReview(_Record):
    """The cross-session loop's verdict on one session, returned by ``end_session``."""

    client_id: str
    session_id: str
    session_number: int
    at: datetime
    summary: SessionSummary
    signals: dict[str, float | None]
    decision: Decision
    modality_before: Modality
    modality_after: Modality
    reason: str
    plan_version: int
    plan: TreatmentPlan
    summary_source: SummarySource | None = None
    """Who wrote ``summary``; ``None`` on reviews stored before this was recorded."""
    model_errors: tuple[str, ...] = ()
    """Every failed supervisor-model call of this review (redacted), and why the summary is
    extractive when it is."""


class CrisisRecord(_Record):
    """A crisis the safety layer caught; kept forever, never decays."""

    client_id: str
    session_id: str
    turn_index: int
    at: datetime
    level: str
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    reply: str


class ClientHistory(_Record):
    """Everything that happened with a client, in order."""

    client_id: str
    sessions: tuple[SessionRecord, ...] = ()
    plans: tuple[TreatmentPlan, ...] = ()
    reviews: tuple[SessionReview, ...] = ()
    crises: tuple[CrisisRecord, ...] = ()


class RecordBook:
    """Typed access to one client's records in a LangGraph store; never crosses clients.

    Example:
        >>> from langgraph.store.memory import InMemoryStore
        >>> book = RecordBook(InMemoryStore())
        >>> book.sessions("alice")
        []
    """

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    @staticmethod
    def _ns(client_id: str, kind: str) -> tuple[str, ...]:
        # LangGraph namespace labels may not hold '.', which client ids may; '~' never occurs in one
        return (_ROOT, client_id.replace(".", "~"), kind)

    def _put(self, client_id: str, kind: str, key: str, record: BaseModel) -> None:
        self.store.put(self._ns(client_id, kind), key, record.model_dump(mode="json"), index=False)

    def _all(self, client_id: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        items = self.store.search(self._ns(client_id, kind), limit=_MAX)
        return sorted(((it.key, it.value) for it in items), key=lambda kv: kv[0])

    # sessions -------------------------------------------------------------------------------
    def save_session(self, record: SessionRecord) -> None:
        """Write (or overwrite) a session record."""
        self._put(record.client_id, "sessions", f"{record.session_number:06d}", record)

    def sessions(self, client_id: str) -> list[SessionRecord]:
        """Return the client's sessions, oldest first."""
        return [SessionRecord.model_validate(v) for _, v in self._all(client_id, "sessions")]

    def open_session(self, client_id: str) -> SessionRecord | None:
        """Return the client's open session, if one is open."""
        open_ = [s for s in self.sessions(client_id) if s.status == "open"]
        return open_[-1] if open_ else None

    # plans ----------------------------------------------------------------------------------
    def save_plan(self, client_id: str, plan: TreatmentPlan) -> None:
        """Write a plan version (same version overwrites: re-running a node is harmless)."""
        self._put(client_id, "plans", f"{plan.version:06d}", plan)

    def plans(self, client_id: str) -> list[TreatmentPlan]:
        """Return every plan version, oldest first."""
        return [TreatmentPlan.model_validate(v) for _, v in self._all(client_id, "plans")]

    def current_plan(self, client_id: str) -> TreatmentPlan | None:
        """Return the newest plan version, if any."""
        plans = self.plans(client_id)
        return plans[-1] if plans else None

    # reviews and signals --------------------------------------------------------------------
    def save_review(self, review: SessionReview) -> None:
        """Write the review of a session."""
        self._put(review.client_id, "reviews", f"{review.session_number:06d}", review)

    def reviews(self, client_id: str) -> list[SessionReview]:
        """Return every review, oldest first."""
        return [SessionReview.model_validate(v) for _, v in self._all(client_id, "reviews")]

    def save_signals(self, client_id: str, signals: SessionSignals) -> None:
        """Write one point of the client's signal time series."""
        self._put(client_id, "signals", f"{signals.session_number:06d}", signals)

    def signals(self, client_id: str) -> list[SessionSignals]:
        """Return the client's signal time series, oldest first."""
        return [SessionSignals.model_validate(v) for _, v in self._all(client_id, "signals")]

    # portrait ---------------------------------------------------------------------------------
    def save_portrait(self, client_id: str, portrait: ClientPortrait) -> None:
        """Replace the client's portrait (the previous text stays in memory's trace)."""
        self._put(client_id, "portrait", "current", portrait)

    def portrait(self, client_id: str) -> ClientPortrait:
        """Return the client's portrait (an empty one before the first session ends)."""
        item = self.store.get(self._ns(client_id, "portrait"), "current")
        return ClientPortrait() if item is None else ClientPortrait.model_validate(item.value)

    # traces and crises ------------------------------------------------------------------------
    def save_trace(self, client_id: str, trace_id: str, trace: dict[str, Any]) -> None:
        """Write one turn's decision trace."""
        self.store.put(self._ns(client_id, "traces"), trace_id, trace, index=False)

    def traces(self, client_id: str, session_id: str | None = None) -> list[dict[str, Any]]:
        """Return the client's turn traces in order, optionally of one session."""
        out = [v for _, v in self._all(client_id, "traces")]
        return [t for t in out if session_id is None or t.get("session_id") == session_id]

    def save_crisis(self, record: CrisisRecord) -> None:
        """Write a crisis event."""
        key = f"{record.session_id}:{record.turn_index:06d}"
        self._put(record.client_id, "crises", key, record)

    def crises(self, client_id: str) -> list[CrisisRecord]:
        """Return every crisis event of the client, oldest first."""
        records = [CrisisRecord.model_validate(v) for _, v in self._all(client_id, "crises")]
        return sorted(records, key=lambda r: r.at)

    # whole client -------------------------------------------------------------------------------
    def history(self, client_id: str) -> ClientHistory:
        """Return everything recorded for the client, in order."""
        return ClientHistory(
            client_id=client_id,
            sessions=tuple(self.sessions(client_id)),
            plans=tuple(self.plans(client_id)),
            reviews=tuple(self.reviews(client_id)),
            crises=tuple(self.crises(client_id)),
        )

    def has_client(self, client_id: str) -> bool:
        """Return whether any session was ever opened for the client."""
        return bool(self.sessions(client_id))

    def clients(self) -> list[str]:
        """Return every client id with records."""
        spaces = self.store.list_namespaces(prefix=(_ROOT,), max_depth=2, limit=_MAX)
        return sorted({ns[1].replace("~", ".") for ns in spaces if len(ns) >= 2})

    def export(self, client_id: str) -> dict[str, Any]:
        """Return every record of the client as JSON-ready data."""
        return {kind: [v for _, v in self._all(client_id, kind)] for kind in _KINDS}

    def erase(self, client_id: str) -> int:
        """Delete every record of the client and return how many were deleted."""
        count = 0
        for kind in _KINDS:
            for key, _ in self._all(client_id, kind):
                self.store.delete(self._ns(client_id, kind), key)
                count += 1
        return count
