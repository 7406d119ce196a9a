"""A small stand-in therapist implementing the runner's protocol (for runner and report tests).

The stand-in keeps its sessions in a JSON file in its data directory, so building a second one on
the same directory behaves like restarting the process (an open session is resumed), the way the
real ``TherapistAgent`` does with its SQLite checkpoints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from theraloop.agent import (
    ClientHistory,
    Reply,
    SessionInfo,
    SessionReview,
    SessionSummary,
    TreatmentPlan,
)
from theraloop.agent.records import SessionRecord
from theraloop.agent.state import RecalledMemory, TurnRecord
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


class PowerCut(RuntimeError):
    """Simulated crash of the therapist process."""


class StandInTherapist:
    """Deterministic therapist with the runner's protocol and the agent's types, in ``data_dir``.

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

    def _modality(self, number: int) -> Any:
        if self.fixed:
            return self.fixed
        return self.switch_to if (self.switch_to and number >= 2) else "person_centred"

    def _plan(self, number: int) -> TreatmentPlan:
        return TreatmentPlan(
            version=number,
            created_at=self.clock(),
            after_session=number - 1,
            modality=self._modality(number),
            stage="exploration",
            reason="stand-in plan",
        )

    def start_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionInfo:
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
        return SessionInfo(
            client_id=client_id,
            session_id=f"{client_id}-s{s['number']:03d}",
            session_number=s["number"],
            started_at=datetime.fromisoformat(s["started"]),
            opening=s["opening"],
            plan=self._plan(s["number"]),
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
            (RecalledMemory(item_id="m1", text="last time", kind="session_summary"),)
            if (self.memory and s["number"] > 1 and index == 1)
            else ()
        )
        turn = TurnRecord(
            turn_index=index,
            trace_id=f"{client_id}-s{s['number']:03d}-t{index:03d}",
            at=self.clock().isoformat(),
            client_text=text,
            reply=reply_text,
            reply_source="crisis_protocol" if crisis else "model",
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
        )
        return Reply(
            session_id=f"{client_id}-s{s['number']:03d}",
            turn=turn,
            trace={"nodes": ["perceive", "respond"], "ms": 1.0},
        )

    def end_session(
        self,
        client_id: str,
        *,
        phq9: Sequence[int] | None = None,
        gad7: Sequence[int] | None = None,
    ) -> SessionReview:
        self.calls.append("end")
        s = self.state["sessions"][-1]
        s["status"] = "closed"
        before, after = self._modality(s["number"]), self._modality(s["number"] + 1)
        review = SessionReview(
            client_id=client_id,
            session_id=f"{client_id}-s{s['number']:03d}",
            session_number=s["number"],
            at=self.clock(),
            summary=SessionSummary(text=f"Session {s['number']} summary."),
            signals={},
            decision="switch" if before != after else "keep",
            modality_before=before,
            modality_after=after,
            reason="stand-in supervisor",
            plan_version=s["number"] + 1,
            plan=self._plan(s["number"] + 1),
        )
        s["review"] = review.model_dump(mode="json")
        self._save()
        return review

    def history(self, client_id: str) -> ClientHistory:
        sessions = self.state["sessions"]
        if not sessions:
            raise KeyError(client_id)
        return ClientHistory(
            client_id=client_id,
            sessions=tuple(
                SessionRecord(
                    client_id=client_id,
                    session_id=f"{client_id}-s{s['number']:03d}",
                    session_number=s["number"],
                    started_at=datetime.fromisoformat(s["started"]),
                    status=s["status"],
                )
                for s in sessions
            ),
            reviews=tuple(
                SessionReview.model_validate(s["review"]) for s in sessions if "review" in s
            ),
        )

    def close(self) -> None:
        self.calls.append("close")
