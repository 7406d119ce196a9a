"""What the facade hands back: a :class:`Reply` per message, a :class:`SessionInfo` per start.

A reply is a view of the :class:`~theraloop.agent.state.TurnRecord` the session graph recorded,
so its fields keep the record's types; it adds the decision trace and the failed model calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from theraloop.agent.records import TreatmentPlan
from theraloop.agent.state import RecalledMemory, ReplySource, TurnRecord

__all__ = ["Reply", "SessionInfo", "model_errors"]


class Reply(BaseModel):
    """The therapist's answer to one client message, with why it answered so.

    Example:
        >>> turn = TurnRecord(turn_index=1, trace_id="t1", at="2026-01-05T09:00:00+00:00",
        ...     client_text="I can't sleep.", reply="That sounds exhausting.",
        ...     reply_source="model", emotion="sadness", intensity=3, risk_level="none")
        >>> reply = Reply(session_id="alice-s001", turn=turn)
        >>> reply.text, reply.risk_level, reply.reply_source
        ('That sounds exhausting.', 'none', 'model')
        >>> "text" in reply.model_dump() and "turn" not in reply.model_dump()
        True
    """

    model_config = ConfigDict(frozen=True)

    session_id: str
    turn: TurnRecord = Field(
        exclude=True,
        repr=False,
        description="The recorded turn; its fields are the reply's (``text`` is its ``reply``).",
    )
    model_errors: tuple[str, ...] = Field(
        default=(),
        description="Every model call of the turn that failed or was rejected, redacted and "
        "prefixed with its role (therapist, safety, perception); empty when all went well.",
    )
    trace: dict[str, Any] = Field(default_factory=dict, description="The turn's decision trace.")

    @computed_field
    @property
    def text(self) -> str:
        """The words sent to the client."""
        return self.turn.reply

    @computed_field
    @property
    def turn_index(self) -> int:
        """1-based index of the turn in its session."""
        return self.turn.turn_index

    @computed_field
    @property
    def trace_id(self) -> str:
        """Key of the turn's decision trace in the records."""
        return self.turn.trace_id

    @computed_field
    @property
    def emotion(self) -> str:
        """The emotion perceived in the client's message."""
        return self.turn.emotion

    @computed_field
    @property
    def intensity(self) -> int:
        """The perceived intensity, 1 to 5."""
        return self.turn.intensity

    @computed_field
    @property
    def reaction(self) -> str | None:
        """How the client took the previous reply (engaged, resistant, ...)."""
        return self.turn.reaction

    @computed_field
    @property
    def risk_level(self) -> str:
        """The assessed crisis risk of the client's message."""
        return self.turn.risk_level

    @computed_field
    @property
    def crisis(self) -> bool:
        """Whether the crisis protocol answered."""
        return self.turn.crisis

    @computed_field
    @property
    def strategy(self) -> str | None:
        """The chosen strategy id."""
        return self.turn.strategy

    @computed_field
    @property
    def strategy_reason(self) -> str | None:
        """Why the policy chose that strategy."""
        return self.turn.strategy_reason

    @computed_field
    @property
    def modality(self) -> str | None:
        """The plan's therapy modality during the turn."""
        return self.turn.modality

    @computed_field
    @property
    def stage(self) -> str | None:
        """The plan's treatment stage during the turn."""
        return self.turn.stage

    @computed_field
    @property
    def reply_source(self) -> ReplySource:
        """Who wrote the text: the model, a guard regeneration or fallback, the crisis protocol."""
        return self.turn.reply_source

    @computed_field
    @property
    def recalled(self) -> tuple[RecalledMemory, ...]:
        """The long-term memories brought into the turn, with their scores."""
        return self.turn.recalled


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


def model_errors(turn: TurnRecord, values: Mapping[str, Any]) -> list[str]:
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
