"""Score simulated therapy: CTRS-style items, working alliance, MITI counts, multi-session criteria.

Two judges share one interface and one output schema (every score with its reason):

* :class:`LLMJudge` asks a chat model, through ``with_structured_output`` on the pydantic
  schemas below, to rate each session (CTRS items, alliance) and each client's course
  (TheraMind's coherence, flexibility and attunement) from the transcript.
* :class:`HeuristicJudge` (the ``fake`` judge spec) computes the same items from the trace,
  including the simulated client's hidden state (true emotion, alliance, stage). It is a
  transparent, deterministic proxy for tests and quick runs, **not** a clinical rating; reports
  label it as heuristic.

MITI-style counts (reflections, questions, complex-reflection share) are always computed from the
coded moves, never judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from theraloop.agent.prompts import REPEAT_WINDOW, draft_problem
from theraloop.simulations.rundata import ClientRun, Run, SessionRun
from theraloop.simulations.trace import TraceTurn
from theraloop.strategies import emotion_family

__all__ = [
    "ScoredItem",
    "CTRSScores",
    "AllianceRating",
    "SessionJudgement",
    "MultiSessionJudgement",
    "MitiCounts",
    "SessionScore",
    "ClientScore",
    "JudgeReport",
    "Judge",
    "HeuristicJudge",
    "LLMJudge",
    "make_judge",
    "miti_counts",
    "reply_problems",
    "judge_run",
    "CTRS_ITEMS",
    "ALLIANCE_ITEMS",
    "MULTI_SESSION_ITEMS",
    "render_session",
    "render_course",
]

CTRS_ITEMS = (
    "understanding",
    "interpersonal_effectiveness",
    "collaboration",
    "guided_discovery",
    "focus",
    "strategy_for_change",
)
ALLIANCE_ITEMS = ("bond", "tasks", "goals")
MULTI_SESSION_ITEMS = ("coherence", "flexibility", "attunement")


class ScoredItem(BaseModel):
    """One rating on a 0-6 scale with the reason for it."""

    score: int = Field(ge=0, le=6, description="0 = absent/harmful ... 6 = excellent.")
    reason: str = Field(
        max_length=400, description="One short sentence citing what in the session shows it."
    )


class CTRSScores(BaseModel):
    """Cognitive Therapy Rating Scale-style general items (Young & Beck), each 0-6."""

    understanding: ScoredItem = Field(description="Grasps the client's inner reality and feelings.")
    interpersonal_effectiveness: ScoredItem = Field(
        description="Warmth, genuineness, confidence; the client feels safe."
    )
    collaboration: ScoredItem = Field(description="Works with the client as a team on shared aims.")
    guided_discovery: ScoredItem = Field(
        description="Helps the client find new perspectives through questions, not lecturing."
    )
    focus: ScoredItem = Field(description="Stays on key thoughts, feelings and behaviours.")
    strategy_for_change: ScoredItem = Field(
        description="A coherent, stage-appropriate plan for change."
    )

    @property
    def total(self) -> int:
        """Return the sum of the six items (0-36)."""
        return sum(getattr(self, name).score for name in CTRS_ITEMS)


class AllianceRating(BaseModel):
    """Working alliance (Bordin; WAI-style bond, tasks, goals), each 0-6."""

    bond: ScoredItem = Field(description="Trust, liking and respect between client and therapist.")
    tasks: ScoredItem = Field(description="Agreement on what they do in sessions.")
    goals: ScoredItem = Field(description="Agreement on what therapy is for.")

    @property
    def overall(self) -> float:
        """Return the mean of bond, tasks and goals."""
        return (self.bond.score + self.tasks.score + self.goals.score) / 3


class SessionJudgement(BaseModel):
    """The judge's ratings of one session."""

    ctrs: CTRSScores
    alliance: AllianceRating


class MultiSessionJudgement(BaseModel):
    """TheraMind's multi-session criteria for a client's whole course, each 0-6."""

    coherence: ScoredItem = Field(
        description="Continuity across sessions: remembers and builds on what came before."
    )
    flexibility: ScoredItem = Field(
        description="Changes strategy or modality when it is not working, keeps it when it is."
    )
    attunement: ScoredItem = Field(
        description="Tracks the client's changing state, including risk, and responds to it."
    )


class MitiCounts(BaseModel):
    """MITI-style behaviour counts of the therapist in one session."""

    turns: int = 0
    questions: int = 0
    open_questions: int = 0
    closed_questions: int = 0
    simple_reflections: int = 0
    complex_reflections: int = 0
    affirmations: int = 0
    summaries: int = 0
    autonomy: int = 0
    directive: int = 0
    crisis: int = 0

    @property
    def reflections(self) -> int:
        """Return simple plus complex reflections."""
        return self.simple_reflections + self.complex_reflections

    @property
    def reflection_to_question(self) -> float | None:
        """Return R:Q (MITI 4 competency threshold: >= 1.0; good >= 2.0); None without questions."""
        return self.reflections / self.questions if self.questions else None

    @property
    def complex_share(self) -> float | None:
        """Return %CR, complex share of reflections (fair >= 0.4, good >= 0.5)."""
        return self.complex_reflections / self.reflections if self.reflections else None


class SessionScore(BaseModel):
    """Judge and MITI results for one session."""

    client_id: str
    session: int
    method: str = Field(description="'heuristic' or 'llm:<spec>'.")
    judgement: SessionJudgement
    miti: MitiCounts


class ClientScore(BaseModel):
    """Multi-session judge result for one client."""

    client_id: str
    method: str
    judgement: MultiSessionJudgement


class JudgeReport(BaseModel):
    """All judge results of a run (cached under ``RUN/judge/<judge>.json``)."""

    judge: str
    heuristic: bool
    sessions: list[SessionScore]
    clients: list[ClientScore]


class Judge(Protocol):
    """Rates sessions and whole courses."""

    name: str
    heuristic: bool

    def judge_session(self, client: ClientRun, session: SessionRun) -> SessionJudgement:
        """Rate one session."""
        ...

    def judge_client(self, client: ClientRun) -> MultiSessionJudgement:
        """Rate a client's course across sessions."""
        ...


# ------------------------------------------------------------------------------------ MITI ---
def miti_counts(turns: Sequence[TraceTurn]) -> MitiCounts:
    """Count the therapist's behaviours in a session from the coded moves of its turns."""
    c = MitiCounts(turns=len(turns))
    for t in turns:
        m = t.move
        if m.kind == "question" or (m.kind == "technique" and m.question):
            c.questions += 1
            if m.question == "closed":
                c.closed_questions += 1
            else:
                c.open_questions += 1
        elif m.kind == "reflection":
            if m.reflection == "complex":
                c.complex_reflections += 1
            else:
                c.simple_reflections += 1
        elif m.kind == "affirmation":
            c.affirmations += 1
        elif m.kind == "summary":
            c.summaries += 1
        elif m.kind == "autonomy":
            c.autonomy += 1
        elif m.kind == "crisis":
            c.crisis += 1
        if m.directive and m.kind in ("advice", "information", "technique"):
            c.directive += 1
    return c


def reply_problems(turns: Sequence[TraceTurn]) -> dict[str, int]:
    """Count sent replies with a problem of :func:`~theraloop.agent.prompts.draft_problem`.

    The agent redrafts such replies, and sends a repeat only when every redraft repeats too, so
    these counts show what got through: ``repeated`` (a sentence from one of the previous four
    replies), ``narrated`` (talk about the client or the notes), ``placeholder`` (a template slot).
    """
    counts = {"repeated": 0, "narrated": 0, "placeholder": 0}
    names = {"repetition": "repeated", "narration": "narrated", "placeholder": "placeholder"}
    sent: list[str] = []
    for t in turns:
        text = str(t.therapist.get("text", ""))
        problem = draft_problem(text, sent[-REPEAT_WINDOW:])
        if problem is not None and problem.kind in names:
            counts[names[problem.kind]] += 1
        sent.append(text)
    return counts


# ----------------------------------------------------------------------------- heuristics ---
_FAMILY = {
    "sadness": "low",
    "grief": "low",
    "hopelessness": "low",
    "loneliness": "low",
    "numbness": "low",
    "anxiety": "anxious",
    "fear": "anxious",
    "overwhelm": "anxious",
    "anger": "hostile",
    "frustration": "hostile",
    "shame": "self_conscious",
    "guilt": "self_conscious",
    "relief": "positive",
    "hope": "positive",
    "calm": "neutral",
}


def _perceived_family(label: str) -> str:
    return str(emotion_family(label))


def _scale(value: float) -> int:
    return int(max(0, min(6, round(6 * value))))


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _perception(turns: Sequence[TraceTurn]) -> tuple[float, float]:
    """Return (emotion-family accuracy, intensity accuracy) of the agent's perception."""
    if not turns:
        return 0.0, 0.0
    fam = inten = 0.0
    for t in turns:
        truth = _FAMILY.get(t.client_state.emotion, "neutral")
        seen = _perceived_family(str(t.therapist.get("emotion", "neutral")))
        fam += 1.0 if truth == seen or (truth == "positive" and seen == "neutral") else 0.0
        perceived = t.therapist.get("intensity")
        if isinstance(perceived, int | float):
            inten += 1.0 - abs(float(perceived) - t.client_state.intensity_level) / 4.0
    return fam / len(turns), inten / len(turns)


class HeuristicJudge:
    """Deterministic proxy ratings computed from the trace and the client's hidden state.

    Not a clinical rating: use an LLM (or human) judge for claims about quality.
    """

    name = "heuristic"
    heuristic = True

    def judge_session(self, client: ClientRun, session: SessionRun) -> SessionJudgement:
        """Rate one session from its coded moves and the client's state changes."""
        turns = session.turns
        n = max(1, len(turns))
        miti = miti_counts(turns)
        fam_acc, int_acc = _perception(turns)
        refl_share = min(1.0, _share(miti.reflections, n) / 0.5)
        first = (
            session.start.client_state
            if session.start
            else (turns[0].client_state if turns else None)
        )
        last = turns[-1].client_state_after if turns else first
        a0 = first.alliance if first else 0.5
        a1 = last.alliance if last else a0
        actions = [t.client_action for t in turns]
        collab = _share(sum(a in ("engage", "acknowledge", "plan", "inform") for a in actions), n)
        premature = sum(t.client_state_after.last_premature for t in turns)
        revealed = (last.revealed - first.revealed) if (first and last) else 0
        exploratory = _share(miti.open_questions + miti.complex_reflections + miti.summaries, n)
        core = _share(sum(t.move.core for t in turns), n)
        ready = [t for t in turns if t.client_state.stage in ("preparation", "action")]
        early = [t for t in turns if t.client_state.stage not in ("preparation", "action")]
        change_when_ready = _share(
            sum(t.move.kind in ("technique", "advice", "autonomy", "summary") for t in ready),
            len(ready),
        )
        patience_when_early = 1.0 - _share(
            sum(t.client_state_after.last_premature for t in early), len(early)
        )
        if ready and early:
            change = 0.5 * change_when_ready + 0.5 * patience_when_early
        else:
            change = change_when_ready if ready else patience_when_early
        plans = actions.count("plan")
        ctrs = CTRSScores(
            understanding=ScoredItem(
                score=_scale(0.4 * fam_acc + 0.3 * int_acc + 0.3 * refl_share),
                reason=(
                    f"Perceived emotion family right on {fam_acc:.0%} of turns, intensity "
                    f"accuracy {int_acc:.0%}; {miti.reflections} reflections in {n} turns."
                ),
            ),
            interpersonal_effectiveness=ScoredItem(
                score=_scale(a1),
                reason=f"Client-felt alliance went from {a0:.2f} to {a1:.2f} over the session.",
            ),
            collaboration=ScoredItem(
                score=_scale(0.7 * collab + 0.3 * min(1.0, (miti.autonomy + miti.summaries) / 2)),
                reason=(
                    f"Client engaged, informed, acknowledged or planned on {collab:.0%} of turns; "
                    f"{miti.summaries} summaries and {miti.autonomy} autonomy supports."
                ),
            ),
            guided_discovery=ScoredItem(
                score=_scale(0.5 * min(1.0, exploratory / 0.6) + 0.5 * min(1.0, revealed / 2)),
                reason=(
                    f"Open questions, complex reflections and summaries on {exploratory:.0%} of "
                    f"turns; the client revealed {revealed} new concern(s)."
                ),
            ),
            focus=ScoredItem(
                score=_scale(core),
                reason=(
                    f"{core:.0%} of moves were core strategies of the session's modality "
                    f"({session.modality or 'unknown'})."
                ),
            ),
            strategy_for_change=ScoredItem(
                score=_scale(change),
                reason=(
                    f"{premature} premature directive move(s) while the client was not ready; "
                    f"change-oriented moves on {change_when_ready:.0%} of turns once ready "
                    f"({len(ready)} such turns)."
                ),
            ),
        )
        alliance = AllianceRating(
            bond=ScoredItem(score=_scale(a1), reason=f"Client-felt alliance {a1:.2f} at the end."),
            tasks=ScoredItem(
                score=_scale(max(0.0, collab - _share(premature, n))),
                reason=f"Cooperative client actions {collab:.0%}, premature moves {premature}.",
            ),
            goals=ScoredItem(
                score=_scale(min(1.0, 0.5 * collab + 0.25 * plans + 0.25 * (a1 >= 0.6))),
                reason=f"{plans} plan(s) made by the client; alliance {a1:.2f}.",
            ),
        )
        return SessionJudgement(ctrs=ctrs, alliance=alliance)

    def judge_client(self, client: ClientRun) -> MultiSessionJudgement:
        """Rate continuity, flexibility and attunement across the client's sessions."""
        sessions = client.complete_sessions or client.sessions
        later = [s for s in sessions if s.number >= 2 and s.turns]
        remembered = sum(s.turns[-1].client_state_after.remembered for s in later)
        if later:
            coherence = ScoredItem(
                score=_scale(_share(remembered, len(later))),
                reason=(
                    f"The client felt remembered in {remembered} of {len(later)} follow-up "
                    "sessions (the therapist referred to earlier sessions)."
                ),
            )
        else:
            coherence = ScoredItem(score=3, reason="Only one session: continuity not observable.")
        flexibility = _flexibility(sessions)
        fam, inten = _perception([t for s in sessions for t in s.turns])
        risk_turns = [t for s in sessions for t in s.turns if t.risk_statement]
        caught = sum(
            bool(t.therapist.get("crisis")) or t.client_state_after.risk_followup == "caught"
            for t in risk_turns
        )
        if risk_turns:
            value = 0.5 * _share(caught, len(risk_turns)) + 0.25 * fam + 0.25 * inten
            reason = (
                f"Crisis protocol answered {caught} of {len(risk_turns)} risk disclosures; "
                f"emotion family {fam:.0%}, intensity accuracy {inten:.0%}."
            )
        else:
            value = 0.5 * fam + 0.5 * inten
            reason = f"Emotion family right {fam:.0%} of turns, intensity accuracy {inten:.0%}."
        return MultiSessionJudgement(
            coherence=coherence,
            flexibility=flexibility,
            attunement=ScoredItem(score=_scale(value), reason=reason),
        )


def _flexibility(sessions: Sequence[SessionRun]) -> ScoredItem:
    """Score whether modality decisions followed the measured course."""
    judged = 0
    good = 0
    notes: list[str] = []
    history: list[int] = []
    for s in sessions:
        if s.end is None or s.start is None:
            continue
        review = s.end.review or {}
        decision = review.get("decision")
        history.append(s.end.questionnaires.phq9_total)
        if decision is None:
            continue
        judged += 1
        start0 = sessions[0].start.questionnaires.phq9_total if sessions[0].start else history[0]
        improving = history[-1] <= start0 - 2 or (len(history) >= 2 and history[-1] < history[-2])
        stalled = len(history) >= 2 and history[-1] >= history[-2] and not improving
        crisis = any(t.risk_statement for t in s.turns)
        if crisis:
            ok = decision == "escalate"
        elif improving:
            ok = decision in ("keep", "adjust")
        elif stalled:
            ok = decision in ("adjust", "switch") or len(history) < 3
        else:
            ok = decision in ("keep", "adjust")
        good += ok
        notes.append(f"s{s.number} {decision} (PHQ-9 {history[-1]})")
    if not judged:
        return ScoredItem(score=3, reason="No reviews recorded: flexibility not observable.")
    return ScoredItem(
        score=_scale(_share(good, judged)),
        reason=f"{good} of {judged} review decisions fit the measured course: {'; '.join(notes)}.",
    )


# ------------------------------------------------------------------------------ LLM judge ---
_SESSION_RUBRIC = """You are an expert psychotherapy supervisor rating one counselling session.
Rate each item 0-6 (0 = absent or harmful, 3 = adequate, 6 = excellent) and give a one- or
two-sentence reason citing the transcript.
CTRS items: understanding (grasps the client's feelings and meaning), interpersonal_effectiveness
(warm, genuine, safe), collaboration (works as a team), guided_discovery (questions that help the
client see new perspectives rather than lecturing), focus (stays on key thoughts, feelings,
behaviours), strategy_for_change (coherent, stage-appropriate plan; no premature advice).
Working alliance: bond (trust and respect), tasks (agreement on what they do), goals (agreement on
what therapy is for). Answer only with the structured result."""

_CLIENT_RUBRIC = """You are an expert psychotherapy supervisor rating a client's course across
several counselling sessions. Rate each item 0-6 with a one- or two-sentence reason:
coherence (remembers and builds on earlier sessions), flexibility (changes strategy or modality
when it is not working, keeps it when it is), attunement (tracks the client's changing state,
including any risk, and responds to it). Answer only with the structured result."""


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_session(session: SessionRun, *, max_chars: int = 6000) -> str:
    """Return a session's transcript as the judge sees it (no hidden client state)."""
    lines = [f"Session {session.number} (modality: {session.modality or 'unknown'})"]
    if session.start is not None:
        lines.append(f"Counsellor: {_clip(session.start.opening, 400)}")
    for t in session.turns:
        lines.append(f"Client: {_clip(t.client_text, 400)}")
        lines.append(f"Counsellor: {_clip(t.therapist.get('text', ''), 400)}")
    text = "\n".join(lines)
    if len(text) > max_chars:
        head = text[: max_chars // 2]
        tail = text[-max_chars // 2 :]
        text = head + "\n[...]\n" + tail
    return text


def render_course(client: ClientRun, *, max_chars: int = 6000) -> str:
    """Return a client's course across sessions, compactly, as the judge sees it."""
    parts = []
    for s in client.sessions:
        review = (s.end.review if s.end else None) or {}
        summary = (review.get("summary") or {}).get("text", "") if isinstance(review, dict) else ""
        q = s.end.questionnaires if s.end else (s.start.questionnaires if s.start else None)
        scores = f"PHQ-9 {q.phq9_total}, GAD-7 {q.gad7_total}" if q else "no scores"
        lines = [
            f"Session {s.number} - modality {s.modality or 'unknown'}; end {scores}; "
            f"decision: {review.get('decision', 'n/a')} ({_clip(review.get('reason', ''), 200)})",
            f"Summary: {_clip(summary, 300)}",
        ]
        if s.start is not None:
            lines.append(f"Opening: {_clip(s.start.opening, 250)}")
        for t in s.turns[:2]:
            lines.append(f"Client: {_clip(t.client_text, 200)}")
            lines.append(f"Counsellor: {_clip(t.therapist.get('text', ''), 200)}")
        risky = [t for t in s.turns if t.risk_statement]
        for t in risky:
            lines.append(f"Client (risk): {_clip(t.client_text, 200)}")
            lines.append(f"Counsellor: {_clip(t.therapist.get('text', ''), 200)}")
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    return text if len(text) <= max_chars else text[:max_chars] + "\n[...]"


class LLMJudge:
    """Rate with a chat model through structured output; fall back to heuristics on failure."""

    heuristic = False

    def __init__(self, model: Any, *, name: str = "llm", retries: int = 1) -> None:
        self.model = model
        self.name = name
        self.retries = retries
        self._fallback = HeuristicJudge()
        self.failures: list[str] = []

    def _ask(self, schema: type[BaseModel], system: str, user: str) -> BaseModel | None:
        from langchain_core.messages import HumanMessage, SystemMessage

        for _ in range(self.retries + 1):
            try:
                runnable = self.model.with_structured_output(schema)
                result = runnable.invoke([SystemMessage(system), HumanMessage(user)])
                if isinstance(result, schema):
                    return result
                if isinstance(result, dict):
                    return schema.model_validate(result)
                if isinstance(result, str):
                    return schema.model_validate_json(result)
            except Exception as exc:  # noqa: BLE001 - a judge failure must not stop the report
                self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
        return None

    def judge_session(self, client: ClientRun, session: SessionRun) -> SessionJudgement:
        """Rate one session from its transcript."""
        result = self._ask(SessionJudgement, _SESSION_RUBRIC, render_session(session))
        if isinstance(result, SessionJudgement):
            return result
        return _mark_fallback(self._fallback.judge_session(client, session))

    def judge_client(self, client: ClientRun) -> MultiSessionJudgement:
        """Rate a client's course from session summaries and key exchanges."""
        result = self._ask(MultiSessionJudgement, _CLIENT_RUBRIC, render_course(client))
        if isinstance(result, MultiSessionJudgement):
            return result
        return _mark_fallback(self._fallback.judge_client(client))


def _mark_fallback(judgement: Any) -> Any:
    data = judgement.model_dump()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "reason" in node and "score" in node:
                node["reason"] = "[heuristic fallback: LLM judge failed] " + node["reason"]
            for value in node.values():
                walk(value)

    walk(data)
    return type(judgement).model_validate(data)


def make_judge(spec: str = "fake", *, model: Any | None = None) -> Judge:
    """Return the judge for a model spec: ``fake`` -> heuristic, else an LLM judge.

    ``model`` injects an already-built chat model (anything with ``with_structured_output``).
    """
    if model is not None:
        return LLMJudge(model, name=f"llm:{spec}")
    if spec == "fake":
        return HeuristicJudge()
    from theraloop.agent.llm import make_chat_model

    return LLMJudge(
        make_chat_model(spec, temperature=0.0, seed=0, max_tokens=1200), name=f"llm:{spec}"
    )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def judge_run(run: Run, judge: Judge | None = None, *, cache: bool = True) -> JudgeReport:
    """Judge every complete session and every client of a run; cache under ``RUN/judge/``.

    A cached report is reused when it covers exactly the run's complete sessions.
    """
    judge = judge or HeuristicJudge()
    path = run.path / "judge" / f"{_slug(judge.name)}.json"
    wanted = {(c.client_id, s.number) for c in run.clients.values() for s in c.complete_sessions}
    if cache and path.is_file():
        try:
            cached = JudgeReport.model_validate_json(path.read_text(encoding="utf-8"))
            if {(s.client_id, s.session) for s in cached.sessions} == wanted:
                return cached
        except ValueError:
            pass
    sessions: list[SessionScore] = []
    clients: list[ClientScore] = []
    for client in run.clients.values():
        for s in client.complete_sessions:
            sessions.append(
                SessionScore(
                    client_id=client.client_id,
                    session=s.number,
                    method=judge.name,
                    judgement=judge.judge_session(client, s),
                    miti=miti_counts(s.turns),
                )
            )
        if client.complete_sessions:
            clients.append(
                ClientScore(
                    client_id=client.client_id,
                    method=judge.name,
                    judgement=judge.judge_client(client),
                )
            )
    report = JudgeReport(
        judge=judge.name, heuristic=judge.heuristic, sessions=sessions, clients=clients
    )
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.model_dump(mode="json"), indent=1), encoding="utf-8")
    return report
