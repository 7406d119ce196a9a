"""The dynamic state of a simulated client: what changes turn by turn and session by session.

Everything here is plain, JSON-serialisable data so a run's trace can restore a client exactly
where an interrupted run left it.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from theraloop.agent.safety.models import RiskLevel
from theraloop.simulations.moves import Move
from theraloop.simulations.profiles import ClientEmotion, StageOfChange

__all__ = [
    "ClientAction",
    "CLIENT_ACTIONS",
    "ClientState",
    "Exchange",
    "ClientMemory",
    "QuestionnaireAnswers",
    "ClientTurn",
]

ClientAction = Literal[
    "deny",
    "downplay",
    "inform",
    "engage",
    "hesitate",
    "acknowledge",
    "plan",
    "disclose_risk",
]
"""What the client does with a turn (ConsistentMI's client actions plus a risk disclosure)."""

CLIENT_ACTIONS: tuple[ClientAction, ...] = get_args(ClientAction)


class ClientState(BaseModel):
    """The client's inner state; the therapist only ever sees what the client says."""

    session: int = Field(default=0, ge=0, description="Current (or last) session, 1-based.")
    turn: int = Field(default=0, ge=0, description="Client utterances spoken this session.")
    emotion: ClientEmotion
    intensity: float = Field(ge=1.0, le=5.0, description="Emotion intensity, 1 calm ... 5 extreme.")
    stage: StageOfChange
    readiness: float = Field(default=0.0, description="Progress towards the next stage.")
    resistance: float = Field(ge=0.0, le=1.0, description="Push-back against the therapist.")
    alliance: float = Field(ge=0.0, le=1.0, description="Working alliance as the client feels it.")
    depression: float = Field(ge=0.0, le=1.0, description="Latent depressive severity (PHQ-9/27).")
    anxiety: float = Field(ge=0.0, le=1.0, description="Latent anxious severity (GAD-7/21).")
    risk_level: RiskLevel = "none"
    revealed: int = Field(default=1, ge=1, description="Complaints of the chain revealed so far.")
    session_revealed_from: int = Field(
        default=1, ge=1, description="Complaints already revealed when this session began."
    )
    session_moves: dict[str, int] = Field(
        default_factory=dict, description="Therapist move kinds heard this session."
    )
    pending_reveal: bool = Field(default=False, description="Will reveal the next complaint now.")
    dose: float = Field(default=0.0, ge=0.0, description="Fitting therapeutic work this session.")
    premature: int = Field(default=0, ge=0, description="Premature directive moves this session.")
    remembered: bool = Field(default=False, description="Therapist referred to past sessions.")
    advanced: bool = Field(default=False, description="Stage advanced this session.")
    planned: bool = Field(default=False, description="Client made a plan this session.")
    risk_statements_made: int = Field(default=0, ge=0, description="Risk statements this session.")
    crisis_caught: int = Field(default=0, ge=0, description="Disclosures the therapist caught.")
    crisis_missed: int = Field(default=0, ge=0, description="Disclosures the therapist missed.")
    risk_followup: Literal["caught", "missed"] | None = Field(
        default=None, description="How the therapist answered the last risk disclosure."
    )
    last_action: ClientAction | None = None
    last_move: Move | None = None
    last_premature: bool = Field(default=False, description="The last move was premature.")
    homework: str | None = Field(default=None, description="Step the client planned last time.")
    homework_done: bool | None = Field(
        default=None, description="Whether the planned step was done before this session."
    )
    modalities_seen: list[str] = Field(default_factory=list, description="Per session, in order.")

    @property
    def intensity_level(self) -> int:
        """Return the intensity as the 1-5 integer a perceiver is scored against."""
        return int(min(5, max(1, round(self.intensity))))


class Exchange(BaseModel):
    """One utterance in the client's short-term memory."""

    speaker: Literal["therapist", "client"]
    text: str


class ClientMemory(BaseModel):
    """What the client remembers: this session verbatim, earlier sessions as summaries."""

    short_term: list[Exchange] = Field(default_factory=list, description="This session.")
    long_term: list[str] = Field(default_factory=list, description="One summary per session.")

    def client_lines(self) -> list[str]:
        """Return what the client already said this session."""
        return [e.text for e in self.short_term if e.speaker == "client"]


class QuestionnaireAnswers(BaseModel):
    """PHQ-9 and GAD-7 item answers (each 0-3) given at one moment."""

    phq9: tuple[int, ...] = Field(min_length=9, max_length=9)
    gad7: tuple[int, ...] = Field(min_length=7, max_length=7)

    @property
    def phq9_total(self) -> int:
        """Return the PHQ-9 total (0-27)."""
        return sum(self.phq9)

    @property
    def gad7_total(self) -> int:
        """Return the GAD-7 total (0-21)."""
        return sum(self.gad7)


class ClientTurn(BaseModel):
    """One thing the client says, with why."""

    text: str
    action: ClientAction
    revealed_complaint: int | None = Field(
        default=None, description="Index of the complaint revealed by this turn, if any."
    )
    risk_statement: bool = Field(default=False, description="Contains crisis language.")
