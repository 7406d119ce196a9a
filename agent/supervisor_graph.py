r"""The cross-session loop: after every session the supervisor reviews and plans the next one.

Data flow::

    session turns + questionnaires -> summarize -> measure -> review -> plan -> consolidate
                                   \\-(review disabled)--> measure -> keep_plan

Every write is keyed by the session (summary memory id, plan version, review key), so a node that
is re-run after a crash overwrites its own output instead of adding a second one.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from theraloop.agent._redact import redact
from theraloop.agent.context import SupervisorContext, require_context
from theraloop.agent.efficacy import measure_signals, review_efficacy
from theraloop.agent.errors import SessionStateError
from theraloop.agent.llm import NegotiatingModel, invoke_with_timeout
from theraloop.agent.prompts import summary_messages
from theraloop.agent.records import (
    ClientPortrait,
    Decision,
    SessionReview,
    SessionSignals,
    SessionSummary,
    SummarySource,
    TreatmentPlan,
)
from theraloop.agent.state import TurnRecord
from theraloop.strategies import MODALITIES, Modality, TreatmentStage
from theraloop.strategies.distortions import detect_distortions

__all__ = ["build_cross_session", "ReviewState", "ReviewInput", "extractive_summary"]


class ReviewInput(TypedDict, total=False):
    """What ``end_session`` hands the supervisor."""

    turns: list[TurnRecord]
    phq9_start: list[int] | None
    phq9_end: list[int] | None
    gad7_start: list[int] | None
    gad7_end: list[int] | None


class ReviewState(ReviewInput, total=False):
    """The supervisor's working state for one session review."""

    summary: SessionSummary
    summary_source: SummarySource
    summary_errors: list[str]
    """Failed supervisor-model calls of the summary, redacted."""
    signals: SessionSignals
    decision: Decision
    modality_before: Modality
    modality_after: Modality
    reason: str
    plan: TreatmentPlan
    review: SessionReview
    archived: list[str]
    portrait_before: ClientPortrait
    """The portrait as it was before this review; a re-run consolidate starts from it again."""


_HOMEWORK: dict[str, str] = {
    "cbt": (
        "Fill in one thought record: situation, automatic thought, feeling 0-10, "
        "a more balanced thought."
    ),
    "act": (
        "Once a day, notice a difficult thought, name it ('I'm having the thought that...'), "
        "and take one small step toward something you value."
    ),
    "mi": "Jot down one reason for change and one reason against it, in your own words.",
    "person_centred": (
        "Notice one moment this week when you felt a little more like yourself, "
        "and what was happening."
    ),
    "solution_focused": (
        "Watch for a time when the problem was a bit smaller, and what you did differently then."
    ),
    "psychodynamic": (
        "Notice when the old pattern we talked about shows up, "
        "and what feeling comes just before it."
    ),
}


def _transcript(turns: list[TurnRecord], limit: int = 4000) -> str:
    lines = [f"Client: {t.client_text}\nCounselor: {t.reply}" for t in turns]
    text = "\n".join(lines)
    return text[-limit:]


_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|my|me)\b")


def extractive_summary(turns: list[TurnRecord], homework: str | None = None) -> SessionSummary:
    """Summarize a session without a model: concerns, strongest words, emotional course."""
    if not turns:
        return SessionSummary(text="The session ended before the client said anything.")
    normal = [t for t in turns if not t.crisis] or turns
    emotions = Counter(t.emotion for t in normal if t.emotion != "neutral")
    concerns = tuple(e for e, _ in emotions.most_common(2))
    ranked = sorted(normal, key=lambda t: (-t.intensity, t.turn_index))
    quotes = tuple(t.client_text[:160] for t in ranked if _FIRST_PERSON.search(t.client_text))[:2]
    strategies = Counter(t.strategy for t in normal if t.strategy)
    first, last = normal[0], normal[-1]
    used = ", ".join(s for s, _ in strategies.most_common(3))
    text = (
        f'The client opened with: "{first.client_text[:200]}". '
        f"Feelings were mostly {', '.join(concerns) or 'neutral'}; intensity went from "
        f"{first.intensity}/5 to {last.intensity}/5. "
        f"The counselor worked with {used or 'listening'}."
    )
    if any(t.crisis for t in turns):
        text += " A crisis protocol was activated."
    return SessionSummary(
        text=text,
        concerns=concerns,
        worked_on=tuple(s for s, _ in strategies.most_common(3)),
        homework=homework,
        client_quotes=quotes,
    )


def summarize(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Write the session summary with the supervisor model; fall back to an extractive one.

    All attempts share one deadline (``review_timeout_s``): an attempt gets what is left of it,
    capped by ``model_timeout_s``. Every failed attempt, and the reason a summary is extractive,
    goes into ``summary_errors`` (redacted) and from there into the review.
    """
    ctx = runtime.context
    turns = state.get("turns") or []
    previous = ctx.records.reviews(ctx.client_id)
    prior = previous[-1].summary if previous else None
    fallback = extractive_summary(turns)
    summary, source, errors = fallback, "extractive", []
    if turns:
        summary, source, errors = _model_summary(ctx, turns, prior, fallback)
    if ctx.memory is not None and turns:
        ctx.memory.add(
            ctx.client_id,
            f"Session {ctx.session_number} summary: {summary.text}",
            kind="session_summary",
            session_id=ctx.session_id,
            importance=0.9,
            item_id=f"{ctx.session_id}:summary",
        )
    return {"summary": summary, "summary_source": source, "summary_errors": errors}


def _model_summary(
    ctx: SupervisorContext,
    turns: list[TurnRecord],
    prior: SessionSummary | None,
    fallback: SessionSummary,
) -> tuple[SessionSummary, SummarySource, list[str]]:
    """Ask the supervisor model for the summary within the review's deadline; see summarize."""
    errors: list[str] = []
    deadline = None if ctx.review_timeout_s is None else time.monotonic() + ctx.review_timeout_s
    model = ctx.supervisor_model
    refusals = model.negotiation.dropped if isinstance(model, NegotiatingModel) else []
    known = len(refusals)  # a server refusing a structured-output method is a failed call too
    try:
        structured = ctx.supervisor_model.with_structured_output(SessionSummary)
    except (NotImplementedError, ValueError, TypeError) as exc:
        return fallback, "extractive", [_failure("structured output unavailable", exc)]
    for attempt in range(1, ctx.model_retries + 2):
        timeout_s = ctx.model_timeout_s
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                errors.append(
                    f"review deadline of {ctx.review_timeout_s:g} s (review_timeout_s) reached "
                    f"before attempt {attempt}"
                )
                break
            timeout_s = left if timeout_s is None else min(timeout_s, left)
        try:
            drafted = invoke_with_timeout(
                structured, summary_messages(_transcript(turns), prior), timeout_s=timeout_s
            )
            drafted = SessionSummary.model_validate(drafted)
        except Exception as exc:  # noqa: BLE001 - malformed or failed output falls back after retries
            errors.append(_failure(f"attempt {attempt}", exc))
            continue
        if not drafted.text.strip():
            errors.append(f"attempt {attempt}: the summary text was empty")
            continue
        # measured content (quotes, concerns) stays extractive: a model may invent them
        summary = drafted.model_copy(
            update={
                "client_quotes": fallback.client_quotes,
                "concerns": drafted.concerns or fallback.concerns,
            }
        )
        return summary, "model", [*_refused(refusals[known:]), *errors]
    errors.append("the summary is extractive: no model attempt gave a usable one")
    return fallback, "extractive", [*_refused(refusals[known:]), *errors]


def _refused(notes: list[str]) -> list[str]:
    return [redact(f"structured output: {note}")[:300] for note in notes]


def _failure(what: str, exc: BaseException) -> str:
    return redact(f"{what}: {type(exc).__name__}: {exc}")[:300]


def measure(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Compute efficacy signals and append them to the client's time series."""
    ctx = runtime.context
    signals = measure_signals(
        session_number=ctx.session_number,
        at=ctx.clock(),
        turns=state.get("turns") or [],
        previous_plan=ctx.records.current_plan(ctx.client_id),
        history=[
            s for s in ctx.records.signals(ctx.client_id) if s.session_number < ctx.session_number
        ],
        phq9_start=state.get("phq9_start"),
        phq9_end=state.get("phq9_end"),
        gad7_start=state.get("gad7_start"),
        gad7_end=state.get("gad7_end"),
    )
    ctx.records.save_signals(ctx.client_id, signals)
    return {"signals": signals}


def review(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Decide keep / adjust / switch / escalate with a reason that cites the signals."""
    ctx = runtime.context
    history = [
        s for s in ctx.records.signals(ctx.client_id) if s.session_number <= ctx.session_number
    ]
    plans = [p for p in ctx.records.plans(ctx.client_id) if p.after_session < ctx.session_number]
    decision, after, reason = review_efficacy(
        history=history,
        plans=plans,
        fixed_modality=ctx.fixed_modality,  # type: ignore[arg-type]
    )
    before = plans[-1].modality if plans else after
    return {
        "decision": decision,
        "modality_before": before,
        "modality_after": after,
        "reason": reason,
    }


def _next_stage(
    current: TreatmentStage, decision: Decision, signals: SessionSignals
) -> TreatmentStage:
    if decision in ("switch", "escalate"):
        return "exploration" if decision == "escalate" else "insight"
    engaged = (signals.engaged_share or 0) >= 0.5
    if current == "exploration" and engaged:
        return "insight"
    if current == "insight" and engaged and decision == "keep":
        return "action"
    return current


def plan(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Write the next plan version: modality, stage, goals, agenda, homework, with the reason."""
    ctx = runtime.context
    plans = [p for p in ctx.records.plans(ctx.client_id) if p.after_session < ctx.session_number]
    previous = plans[-1] if plans else None
    summary, signals, decision = state["summary"], state["signals"], state["decision"]
    modality: Modality = state["modality_after"]
    stage = _next_stage(previous.stage if previous else "exploration", decision, signals)
    goals = list(previous.goals) if previous else []
    for concern in summary.concerns:
        goal = f"Feel less {concern} day to day"
        if goal not in goals and len(goals) < 4:
            goals.append(goal)
    agenda = [f"Check in on the week and how the client felt since session {ctx.session_number}"]
    if summary.homework or (previous and previous.homework):
        agenda.append("Review the homework together")
    if decision == "escalate":
        agenda.insert(0, "Safety check and safety plan; offer a human clinician's support")
    elif decision == "switch":
        agenda.append(f"Introduce {MODALITIES[modality].name} and why we are trying it")
    agenda.append(f"Work in {MODALITIES[modality].name}: {MODALITIES[modality].stance}")
    homework = summary.homework or (_HOMEWORK.get(modality) if stage != "exploration" else None)
    new_plan = TreatmentPlan(
        version=(previous.version + 1) if previous else 1,
        created_at=ctx.clock(),
        after_session=ctx.session_number,
        modality=modality,
        stage=stage,
        goals=tuple(goals),
        agenda=tuple(agenda),
        homework=homework,
        reason=f"{decision}: {state['reason']}",
        escalated=decision == "escalate",
    )
    ctx.records.save_plan(ctx.client_id, new_plan)
    # checkpointed with this node, so a consolidate re-run after a crash merges into the same base
    return {"plan": new_plan, "portrait_before": ctx.records.portrait(ctx.client_id)}


def _merge(old: tuple[str, ...], new: list[str], cap: int = 8) -> tuple[str, ...]:
    merged = list(old)
    for value in new:
        if value and value not in merged:
            merged.append(value)
    return tuple(merged[-cap:])


def consolidate(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Update the client portrait and its current facts, store the review, archive what decayed."""
    ctx = runtime.context
    turns = state.get("turns") or []
    summary, signals = state["summary"], state["signals"]
    old = state.get("portrait_before") or ctx.records.portrait(ctx.client_id)
    client_texts = [t.client_text for t in turns]
    found = detect_distortions(client_texts)
    helped = [
        f"{a.strategy}"
        for a, b in zip(turns, turns[1:], strict=False)
        if a.strategy and b.intensity < a.intensity
    ]
    patterns = []
    if signals.intensity_change is not None and signals.intensity_change <= -0.5:
        patterns.append("settles when feelings are reflected and explored")
    if (signals.resistant_share or 0) >= 0.3:
        patterns.append("pushes back when advice comes early")
    if signals.homework_followthrough == 0:
        patterns.append("struggles to do homework between sessions")
    portrait = ClientPortrait(
        version=old.version + 1,
        updated_at=ctx.clock(),
        concerns=_merge(old.concerns, list(summary.concerns)),
        traits=old.traits,
        patterns=_merge(old.patterns, patterns),
        core_beliefs=_merge(old.core_beliefs, [d.quote for d in found if d.kind == "core_belief"]),
        distortions=_merge(
            old.distortions, sorted({d.kind for d in found if d.kind != "core_belief"})
        ),
        what_helped=_merge(old.what_helped, [s for s, _ in Counter(helped).most_common(3)]),
        facts=old.facts,
    )
    if ctx.memory is not None:  # each fact key's newest statement; changed or forgotten ones go
        portrait = portrait.with_facts(ctx.memory.current_facts(ctx.client_id))
    ctx.records.save_portrait(ctx.client_id, portrait)
    archived: list[str] = []
    # a session where the client said nothing stored no memory: nothing to archive
    if ctx.memory is not None and ctx.memory.has_client(ctx.client_id):
        archived = ctx.memory.archive_forgotten(ctx.client_id, now=ctx.clock())
    new_plan = state["plan"]
    review_ = SessionReview(
        client_id=ctx.client_id,
        session_id=ctx.session_id,
        session_number=ctx.session_number,
        at=ctx.clock(),
        summary=summary,
        signals=signals.as_dict(),
        decision=state["decision"],
        modality_before=state["modality_before"],
        modality_after=state["modality_after"],
        reason=state["reason"],
        plan_version=new_plan.version,
        plan=new_plan,
        summary_source=state.get("summary_source"),
        model_errors=tuple(state.get("summary_errors") or ()),
    )
    ctx.records.save_review(review_)
    return {"review": review_, "archived": archived}


def keep_plan(state: ReviewState, runtime: Runtime[SupervisorContext]) -> dict[str, Any]:
    """Review the session without re-planning (the no-cross-session ablation) and store it.

    The session is measured like any other, so the ablation's efficacy figures are comparable;
    the summary is extractive and the plan stays the version the session ran under.
    """
    ctx = runtime.context
    current = ctx.records.current_plan(ctx.client_id)
    if current is None:
        raise SessionStateError(
            f"client {ctx.client_id!r} has no treatment plan; every session starts with one"
        )
    review_ = SessionReview(
        client_id=ctx.client_id,
        session_id=ctx.session_id,
        session_number=ctx.session_number,
        at=ctx.clock(),
        summary=extractive_summary(state.get("turns") or []),
        signals=state["signals"].as_dict(),
        decision="keep",
        modality_before=current.modality,
        modality_after=current.modality,
        reason="Cross-session review is switched off (ablation); the plan stays as it is.",
        plan_version=current.version,
        plan=current,
        summary_source="extractive",
    )
    ctx.records.save_review(review_)
    return {"review": review_}


def route_start(state: ReviewState, runtime: Runtime[SupervisorContext]) -> str:
    """Skip the review when the cross-session loop is switched off (ablation)."""
    ctx = require_context(runtime.context, SupervisorContext, "supervisor")
    return "summarize" if ctx.review_enabled else "measure"


def route_after_measure(state: ReviewState, runtime: Runtime[SupervisorContext]) -> str:
    """Continue to the review, or keep the plan when the loop is switched off."""
    return "review" if runtime.context.review_enabled else "keep_plan"


def build_cross_session(
    *, checkpointer: BaseCheckpointSaver | bool | None = None, name: str = "supervisor"
) -> Any:
    """Compile the supervisor graph; invoke it with ``context=SupervisorContext(...)``.

    As a subgraph of an app's graph, ``checkpointer=True`` keeps its state in the parent's
    checkpointer, so a review interrupted by a crash resumes where it stopped.

    Example:
        >>> graph = build_cross_session()
        >>> [n for n in graph.get_graph().nodes if not n.startswith("__")]
        ['summarize', 'measure', 'review', 'plan', 'consolidate', 'keep_plan']
    """
    builder = StateGraph(ReviewState, context_schema=SupervisorContext, input_schema=ReviewInput)
    builder.add_node("summarize", summarize)
    builder.add_node("measure", measure)
    builder.add_node("review", review)
    builder.add_node("plan", plan)
    builder.add_node("consolidate", consolidate)
    builder.add_node("keep_plan", keep_plan)
    builder.add_conditional_edges(START, route_start, ["summarize", "measure"])
    builder.add_edge("summarize", "measure")
    builder.add_conditional_edges("measure", route_after_measure, ["review", "keep_plan"])
    builder.add_edge("review", "plan")
    builder.add_edge("plan", "consolidate")
    builder.add_edge("consolidate", END)
    builder.add_edge("keep_plan", END)
    return builder.compile(checkpointer=checkpointer, name=name)
