"""What a simulation run does: its settings, the ablations it can switch on, its simulated time.

Everything here decides a run's outcome and is recorded in the run's manifest; a resumed run must
agree with the run it continues on :meth:`RunConfig.replay_key`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Ablation", "ABLATIONS", "ABLATION_LABELS", "ablation_settings", "RunConfig"]

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
