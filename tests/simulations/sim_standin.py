"""A small stand-in therapist implementing the runner's protocol (for runner and report tests).

The stand-in keeps its sessions in a JSON file in its data directory, so building a second one on
the same directory behaves like restarting the process (an open session is resumed), the way the
real ``TherapistAgent`` does with its SQLite checkpoints.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from theraloop.simulations.runner import RunConfig

_PLAN = {
    "person_centred": [
        "reflection_of_feelings",
        "question",
        "restatement",
        "affirmation_reassurance",
    ],
    "cbt": ["socratic_questioning", "complex_reflection", "identify_distortion", "thought_record"],
    "mi": ["open_question", "complex_reflection", "affirm", "emphasize_autonomy", "summarize"],
}
_CRISIS_WORDS = ("killing myself", "how i'd do it", "point of going on", "tablets")


class Plan(BaseModel):
    modality: str
    stage: str = "exploration"


class Info(BaseModel):
    client_id: str
    session_id: str
    session_number: int
    started_at: datetime
    opening: str
    plan: Plan | None
    resumed: bool = False
    turns_so_far: int = 0


class Reply(BaseModel):
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
    recalled: list[dict[str, Any]] = []
    trace: dict[str, Any] = {}


class Review(BaseModel):
    client_id: str
    session_id: str
    session_number: int
    decision: str
    modality_before: str
    modality_after: str
    reason: str
    plan_version: int
    summary: dict[str, Any]
    signals: dict[str, float | None] = {}


class SessionRow(BaseModel):
    session_number: int
    status: str


class History(BaseModel):
    sessions: list[SessionRow]
    reviews: list[Review]


class PowerCut(RuntimeError):
    """Simulated crash of the therapist process."""


class StandInTherapist:
    """Deterministic therapist with the runner's protocol, persisted in ``data_dir``.

    Modality starts person-centred and switches to ``switch_to`` after session 1 when
    ``switch_to`` is given (a crude supervisor); ``fixed`` pins it. ``fail_after`` raises
    :class:`PowerCut` on that many ``respond`` calls of this instance.
    """

    def __init__(
        self,
        data_dir: Path,
        config: RunConfig,
        clock: Any,
        *,
        switch_to: str | None = "cbt",
        fail_after: int | None = None,
        calls: list[str] | None = None,
    ) -> None:
        self.path = Path(data_dir) / "standin.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.config = config
        self.fixed = "cbt" if config.ablation == "fixed-cbt" else None
        self.switch_to = None if config.ablation == "no-cross-session" else switch_to
        self.memory = config.ablation != "no-memory"
        self.fail_after = fail_after
        self.responds = 0
        self.calls = calls if calls is not None else []
        self.state: dict[str, Any] = (
            json.loads(self.path.read_text()) if self.path.is_file() else {"sessions": []}
        )

    def _save(self) -> None:
        self.path.write_text(json.dumps(self.state))

    def _modality(self, number: int) -> str:
        if self.fixed:
            return self.fixed
        return self.switch_to if (self.switch_to and number >= 2) else "person_centred"

    def start_session(self, client_id: str, *, phq9: Any = None, gad7: Any = None) -> Info:
        self.calls.append("start")
        sessions = self.state["sessions"]
        if sessions and sessions[-1]["status"] == "open":
            s = sessions[-1]
            resumed = True
        else:
            number = len(sessions) + 1
            opening = "Hello, what would you like to talk about today?"
            if number > 1 and self.memory:
                opening = "Welcome back. Last time we talked about how flat things felt."
            s = {
                "number": number,
                "status": "open",
                "turns": [],
                "opening": opening,
                "started": self.clock().isoformat(),
                "phq9": list(phq9 or []),
            }
            sessions.append(s)
            resumed = False
            self._save()
        return Info(
            client_id=client_id,
            session_id=f"{client_id}-s{s['number']:03d}",
            session_number=s["number"],
            started_at=datetime.fromisoformat(s["started"]),
            opening=s["opening"],
            plan=Plan(modality=self._modality(s["number"])),
            resumed=resumed,
            turns_so_far=len(s["turns"]),
        )

    def respond(self, client_id: str, text: str) -> Reply:
        self.calls.append("respond")
        self.responds += 1
        if self.fail_after is not None and self.responds >= self.fail_after:
            raise PowerCut("power cut")
        s = self.state["sessions"][-1]
        assert s["status"] == "open", "respond without an open session"
        index = len(s["turns"]) + 1
        modality = self._modality(s["number"])
        crisis = any(w in text.lower() for w in _CRISIS_WORDS)
        strategies = _PLAN.get(modality, _PLAN["person_centred"])
        strategy = "crisis_protocol" if crisis else strategies[(index - 1) % len(strategies)]
        reply_text = (
            "I'm really glad you told me. Are you safe right now? Please call 988 or 999 now."
            if crisis
            else f"It sounds like that has been hard ({strategy})."
        )
        s["turns"].append({"text": text, "reply": reply_text})
        self._save()
        recalled = (
            [{"kind": "session_summary", "text": "last time"}]
            if (self.memory and s["number"] > 1 and index == 1)
            else []
        )
        return Reply(
            text=reply_text,
            session_id=f"{client_id}-s{s['number']:03d}",
            turn_index=index,
            trace_id=f"{client_id}-s{s['number']:03d}-t{index:03d}",
            emotion="sadness",
            intensity=3,
            reaction="engaged",
            risk_level="high" if crisis else "none",
            crisis=crisis,
            strategy=strategy,
            strategy_reason="stand-in rotation",
            modality=modality,
            stage="exploration",
            recalled=recalled,
            trace={"nodes": ["perceive", "respond"], "ms": 1.0},
        )

    def end_session(self, client_id: str, *, phq9: Any = None, gad7: Any = None) -> Review:
        self.calls.append("end")
        s = self.state["sessions"][-1]
        s["status"] = "closed"
        before, after = self._modality(s["number"]), self._modality(s["number"] + 1)
        review = Review(
            client_id=client_id,
            session_id=f"{client_id}-s{s['number']:03d}",
            session_number=s["number"],
            decision="switch" if before != after else "keep",
            modality_before=before,
            modality_after=after,
            reason="stand-in supervisor",
            plan_version=s["number"],
            summary={"text": f"Session {s['number']} summary."},
        )
        s["review"] = review.model_dump(mode="json")
        self._save()
        return review

    def history(self, client_id: str) -> History:
        sessions = self.state["sessions"]
        if not sessions:
            raise KeyError(client_id)
        return History(
            sessions=[SessionRow(session_number=s["number"], status=s["status"]) for s in sessions],
            reviews=[Review.model_validate(s["review"]) for s in sessions if "review" in s],
        )

    def close(self) -> None:
        self.calls.append("close")
