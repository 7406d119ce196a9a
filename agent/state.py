"""State of the intra-session graph: one thread per session, one invocation per client turn.

The conversation accumulates in ``turns`` through a reducer that is idempotent per turn index, so a
node re-run after a crash replaces its own turn instead of appending a duplicate.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from theraloop.agent.perception import EmotionReading, ReactionReading
from theraloop.agent.records import TreatmentPlan
from theraloop.agent.safety import RiskAssessment
from theraloop.strategies import StrategyChoice

__all__ = [
    "RecalledMemory",
    "TurnRecord",
    "NodeTiming",
    "ReplySource",
    "SessionState",
    "SessionInput",
    "merge_turns",
]

ReplySource = Literal[
    "model", "guard_regenerated", "guard_fallback", "model_fallback", "crisis_protocol"
]


class RecalledMemory(BaseModel):
    """A long-term memory brought into a turn, with the scores that explain why."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    text: str
    kind: str
    session_id: str | None = None
    created_at: str | None = None
    similarity: float = 0.0
    lexical: float = 0.0
    retention: float = 1.0
    score: float = 0.0
    used: bool = Field(default=False, description="The reply drew on it, so it was reinforced.")


class NodeTiming(BaseModel):
    """Wall time one node took in one turn."""

    model_config = ConfigDict(frozen=True)

    turn_index: int
    node: str
    ms: float


class TurnRecord(BaseModel):
    """One completed exchange with its decision trace; what the session remembers verbatim."""

    model_config = ConfigDict(frozen=True)

    turn_index: int
    trace_id: str
    at: str
    client_text: str
    reply: str
    reply_source: ReplySource
    emotion: str
    intensity: int
    reaction: str | None = None
    risk_level: str
    crisis: bool = False
    strategy: str | None = None
    strategy_reason: str | None = None
    modality: str | None = None
    stage: str | None = None
    recalled: tuple[RecalledMemory, ...] = ()
    guard_violations: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def merge_turns(old: list[TurnRecord] | None, new: list[TurnRecord] | None) -> list[TurnRecord]:
    """Append turns, replacing any earlier record of the same turn index (replay-safe)."""
    merged = {t.turn_index: t for t in (old or [])}
    for turn in new or []:
        merged[turn.turn_index] = turn
    return [merged[i] for i in sorted(merged)]


class SessionInput(TypedDict):
    """What a caller sends for one turn."""

    client_text: str
    turn_index: int


class SessionState(TypedDict, total=False):
    """Everything the nodes of one session read and write."""

    client_text: str
    turn_index: int
    emotion: EmotionReading
    risk: RiskAssessment
    recalled: list[RecalledMemory]
    portrait: str
    plan: TreatmentPlan | None
    reaction: ReactionReading
    strategy: StrategyChoice
    reply: str
    reply_source: ReplySource
    guard_violations: list[str]
    errors: list[str]
    crisis: bool
    timings: Annotated[list[NodeTiming], operator.add]
    turns: Annotated[list[TurnRecord], merge_turns]


def checkpoint_serde() -> Any:
    """Return a checkpoint serializer that allows exactly theraloop's state types.

    LangGraph refuses to deserialize unregistered types from checkpoints (strict msgpack); this
    lists the pydantic records the two graphs keep in state.
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from theraloop.agent.records import (
        ClientPortrait,
        SessionReview,
        SessionSignals,
        SessionSummary,
    )
    from theraloop.agent.safety.models import EvidenceSpan

    allowed = (
        EmotionReading,
        ReactionReading,
        RiskAssessment,
        EvidenceSpan,
        TreatmentPlan,
        StrategyChoice,
        NodeTiming,
        TurnRecord,
        RecalledMemory,
        SessionSummary,
        SessionSignals,
        SessionReview,
        ClientPortrait,
    )
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)
