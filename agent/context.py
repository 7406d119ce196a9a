"""Run-scoped dependencies of the graphs, passed as ``graph.invoke(..., context=ctx)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.language_models import BaseChatModel

from theraloop.agent.errors import ContextError, InvalidInputError
from theraloop.agent.records import RecordBook
from theraloop.memory.clock import Clock

if TYPE_CHECKING:
    from theraloop.agent.perception import EmotionPerceiver
    from theraloop.agent.safety import CrisisEvent, ReplyGuard, RiskAssessor
    from theraloop.memory import Embedder, LongTermMemory

__all__ = ["SessionContext", "SupervisorContext", "require_context", "check_turn_input"]

Ctx = TypeVar("Ctx")


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionContext:
    """What one session's turns need; built by :class:`~theraloop.TherapistAgent` or by an app."""

    client_id: str
    """Whose session this is; every read and write is scoped to it."""
    session_id: str
    """Also the LangGraph thread id."""
    session_number: int
    """1-based count of this client's sessions."""
    therapist_model: BaseChatModel
    """Writes the replies."""
    perceiver: EmotionPerceiver
    """Reads emotion and intensity."""
    assessor: RiskAssessor
    """Layered crisis-risk detector; runs before any reply is generated."""
    guard: ReplyGuard
    """Checks every drafted reply for means information, delusion agreement, stigma."""
    records: RecordBook
    """Plans, portraits, traces, crisis events."""
    clock: Clock
    """The only source of 'now'."""
    embedder: Embedder
    """Shared sentence embedder (reaction reading, used-memory detection)."""
    memory: LongTermMemory | None = None
    """Long-term memory; ``None`` is the no-memory ablation."""
    memory_k: int = 4
    """How many memories ``recall`` brings in."""
    locale: str = "en-US"
    """Picks the crisis-resource table."""
    model_retries: int = 2
    """Retries of a failing model call before the safe fallback reply."""
    model_timeout_s: float | None = 120.0
    """Seconds one model call may take before it is abandoned and counts as failed."""
    max_reply_tokens: int = 160
    """Cap on reply length."""
    on_crisis: Callable[[CrisisEvent], None] | None = None
    """Hook for a human handoff; called once per crisis turn, after the protocol reply is fixed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SupervisorContext:
    """What the cross-session review needs."""

    client_id: str
    session_id: str
    session_number: int
    supervisor_model: BaseChatModel
    """Summarizes the session and updates the portrait."""
    records: RecordBook
    clock: Clock
    memory: LongTermMemory | None = None
    fixed_modality: str | None = None
    """Pinned modality (ablation): the review never switches away from it."""
    review_enabled: bool = True
    """``False`` is the no-cross-session ablation: summarize and store, but never re-plan."""
    model_retries: int = 2
    """Retries of a failing or malformed summary before the extractive one."""
    model_timeout_s: float | None = 120.0
    """Seconds one model call may take before it is abandoned and counts as failed."""
    review_timeout_s: float | None = 180.0
    """Seconds all summary attempts together may take (one deadline, not retries x timeout);
    past it the review goes on with the extractive summary and says why."""


def require_context(context: object, expected: type[Ctx], graph: str) -> Ctx:
    """Return ``context`` if it is an ``expected``, else raise naming what the graph needs.

    Raises:
        ContextError: ``context`` is of another type or missing.
    """
    if isinstance(context, expected):
        return context
    method = "session_context" if expected is SessionContext else "supervisor_context"
    raise ContextError(
        f"the {graph} graph needs context={expected.__name__}(...) in invoke/stream, got "
        f"{type(context).__name__}; TherapistAgent.{method}(client_id) returns a ready one"
    )


def check_turn_input(state: Mapping[str, Any]) -> None:
    """Raise unless ``state`` carries a turn's input: ``client_text`` and ``turn_index``.

    Raises:
        InvalidInputError: a key is missing or of the wrong type.
    """
    text, index = state.get("client_text"), state.get("turn_index")
    if not isinstance(text, str) or not isinstance(index, int) or isinstance(index, bool):
        raise InvalidInputError(
            "the session graph's input needs client_text (the client's message, a str) and "
            "turn_index (an int: 1 for a session's first turn, then one more per turn); got "
            f"client_text={type(text).__name__}, turn_index={index!r}"
        )
