"""Efficacy rules of the cross-session loop, as pure functions: measure, review, next modality.

Signals are computed from what happened (turn traces, questionnaire answers), never guessed by a
model. The review needs evidence over a window before it switches modality: one bad session only
adjusts the plan; a deterioration or a risk flag escalates to a human instead of switching.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from theraloop.agent.records import Decision, SessionSignals, TreatmentPlan
from theraloop.agent.state import TurnRecord
from theraloop.strategies import Modality, score_gad7, score_phq9

__all__ = [
    "measure_signals",
    "homework_followthrough",
    "primary_series",
    "review_efficacy",
    "next_modality",
    "SWITCH_WINDOW",
]

SWITCH_WINDOW = 2
"""Consecutive sessions without improvement under one modality before it is switched."""
_PHQ9_RELIABLE_WORSENING = 5
_GAD7_RELIABLE_WORSENING = 4
_DONE = re.compile(
    r"\b(i did (it|the|my)|i tried (it|the)|i (wrote|managed|completed|finished|kept)|"
    r"did the (homework|exercise|record|walk)|went for|i practiced)\b",
    re.I,
)
_NOT_DONE = re.compile(
    r"\b(didn'?t (do|get to|try|manage)|forgot|haven'?t (done|tried)|no time|never got|"
    r"skipped|couldn'?t (do|bring myself))\b",
    re.I,
)


def homework_followthrough(turns: Sequence[TurnRecord], homework: str | None) -> float | None:
    """Score homework follow-through from the first client turns: 1 done, 0.5 mixed, 0 not."""
    if not homework:
        return None
    early = " ".join(t.client_text for t in turns[:4])
    done, not_done = bool(_DONE.search(early)), bool(_NOT_DONE.search(early))
    if done and not_done:
        return 0.5
    if done:
        return 1.0
    if not_done:
        return 0.0
    return None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _total(items: Sequence[int] | None, scorer) -> int | None:  # noqa: ANN001
    return None if items is None else scorer(items).total


def measure_signals(
    *,
    session_number: int,
    at: datetime,
    turns: Sequence[TurnRecord],
    previous_plan: TreatmentPlan | None,
    history: Sequence[SessionSignals],
    phq9_start: Sequence[int] | None = None,
    phq9_end: Sequence[int] | None = None,
    gad7_start: Sequence[int] | None = None,
    gad7_end: Sequence[int] | None = None,
) -> SessionSignals:
    """Compute one session's efficacy signals from its turns and questionnaire answers."""
    intensities = [float(t.intensity) for t in turns if not t.crisis]
    third = max(1, len(intensities) // 3)
    change = None
    if len(intensities) >= 2:
        change = _mean(intensities[-third:]) - _mean(intensities[:third])  # type: ignore[operator]
    reactions = [t.reaction for t in turns if t.reaction]

    def share(label: str) -> float | None:
        return round(reactions.count(label) / len(reactions), 3) if reactions else None

    phq_s, phq_e = _total(phq9_start, score_phq9), _total(phq9_end, score_phq9)
    gad_s, gad_e = _total(gad7_start, score_gad7), _total(gad7_end, score_gad7)
    item9 = max((items[8] for items in (phq9_start, phq9_end) if items is not None), default=None)
    current = phq_e if phq_e is not None else phq_s
    baseline = next((s.phq9_start for s in history if s.phq9_start is not None), phq_s)
    progress = None
    if current is not None and baseline:
        progress = round(max(0.0, min(1.0, (baseline - current) / baseline)), 3)
    return SessionSignals(
        session_number=session_number,
        at=at,
        turns=len(turns),
        intensity_start=intensities[0] if intensities else None,
        intensity_end=intensities[-1] if intensities else None,
        intensity_mean=round(_mean(intensities), 3) if intensities else None,
        intensity_change=round(change, 3) if change is not None else None,
        engaged_share=share("engaged"),
        resistant_share=share("resistant"),
        off_topic_share=share("off_topic"),
        homework_followthrough=homework_followthrough(
            turns, previous_plan.homework if previous_plan else None
        ),
        phq9_start=phq_s,
        phq9_end=phq_e,
        gad7_start=gad_s,
        gad7_end=gad_e,
        phq9_item9=item9,
        goal_progress=progress,
        crisis=any(t.crisis for t in turns),
    )


def primary_series(history: Sequence[SessionSignals]) -> tuple[str, list[float | None]]:
    """Return the outcome measure to judge by and its per-session values (lower is better).

    PHQ-9 when answered, else GAD-7, else mean emotion intensity.
    """
    for name, start, end in (
        ("PHQ-9", "phq9_start", "phq9_end"),
        ("GAD-7", "gad7_start", "gad7_end"),
    ):
        values = [
            getattr(s, end) if getattr(s, end) is not None else getattr(s, start) for s in history
        ]
        if any(v is not None for v in values):
            return name, [float(v) if v is not None else None for v in values]
    return "mean intensity", [s.intensity_mean for s in history]


def _improved(name: str, before: float, after: float) -> bool:
    if name == "mean intensity":
        return before - after >= 0.3
    return before - after >= max(2.0, 0.1 * before)


def next_modality(
    current: Modality, history: Sequence[SessionSignals], tried: Sequence[Modality]
) -> Modality:
    """Choose the modality to switch to: resistance -> MI, anxiety -> ACT/CBT, else untried ones."""
    last = history[-1]
    candidates: list[Modality] = []
    if (last.resistant_share or 0) >= 0.3:
        candidates.append("mi")
    anxious = last.gad7_end is not None and (
        last.phq9_end is None or last.gad7_end / 21 > last.phq9_end / 27
    )
    candidates += ["act", "cbt"] if anxious else ["cbt", "act"]
    candidates += ["solution_focused", "person_centred", "mi", "psychodynamic"]
    for option in candidates:
        if option != current and option not in tried:
            return option
    return next(m for m in candidates if m != current)


def review_efficacy(
    *,
    history: Sequence[SessionSignals],
    plans: Sequence[TreatmentPlan],
    fixed_modality: Modality | None = None,
) -> tuple[Decision, Modality, str]:
    """Decide keep / adjust / switch / escalate from the signal time series; return the reason.

    ``history`` ends with the session just measured; ``plans`` are every plan version so far (the
    last one is the plan the session ran under).
    """
    current: Modality = plans[-1].modality if plans else "person_centred"
    last = history[-1]
    name, series = primary_series(history)
    if last.crisis or (last.phq9_item9 or 0) > 0:
        why = (
            "a crisis was handled this session"
            if last.crisis
            else (f"PHQ-9 item 9 (thoughts of death or self-harm) was answered {last.phq9_item9}")
        )
        return "escalate", current, f"Escalate to a clinician: {why}; keep {current} meanwhile."
    baseline = next((v for v in series if v is not None), None)
    latest = series[-1]
    for label, start, end, limit in (
        ("PHQ-9", history[0].phq9_start, last.phq9_end, _PHQ9_RELIABLE_WORSENING),
        ("GAD-7", history[0].gad7_start, last.gad7_end, _GAD7_RELIABLE_WORSENING),
    ):
        if start is not None and end is not None and end - start >= limit:
            return (
                "escalate",
                current,
                (
                    f"Escalate: {label} worsened from {start} at intake to {end} "
                    f"(reliable deterioration >= {limit}); keep {current} and review safety."
                ),
            )
    # sessions run under the current modality (the plan in force for each session)
    in_force = [p for p in plans if p.after_session < last.session_number]
    streak = 0
    for plan in reversed(in_force):
        if plan.modality != current:
            break
        streak += 1
    streak = min(streak, len(history))
    changes: list[tuple[int, float, float, bool]] = []
    for i in range(1, len(series)):
        before, after = series[i - 1], series[i]
        if before is not None and after is not None:
            # progress means a new best by a meaningful margin: bouncing back from a worse
            # session to where the client already was is noise, not improvement
            best = min(v for v in series[:i] if v is not None)
            changes.append((history[i].session_number, before, after, _improved(name, best, after)))
    if not changes:
        where = f"{name} {latest:g}" if latest is not None else "no outcome scores yet"
        return (
            "keep",
            current,
            f"Keep {current}: first measured session ({where}); too early to judge.",
        )
    recent = changes[-SWITCH_WINDOW:]
    described = ", ".join(f"session {n}: {b:g}->{a:g}" for n, b, a, _ in recent)
    if fixed_modality is not None:
        ok = recent[-1][3]
        return (
            ("keep" if ok else "adjust"),
            fixed_modality,
            (
                f"{'Keep' if ok else 'Adjust within'} {fixed_modality} (modality fixed by "
                f"configuration); {name} {described}."
            ),
        )
    if recent[-1][3]:
        total = f" ({baseline:g} at first measure)" if baseline is not None else ""
        return "keep", current, f"Keep {current}: {name} improving ({described}){total}."
    stalled = len(recent) >= SWITCH_WINDOW and not any(ok for *_, ok in recent)
    if stalled and streak >= SWITCH_WINDOW:
        tried = [p.modality for p in plans]
        target = next_modality(current, history, tried)
        return (
            "switch",
            target,
            (
                f"Switch {current} -> {target}: no reliable improvement in {name} across "
                f"{SWITCH_WINDOW} sessions ({described}) under {current}."
            ),
        )
    return (
        "adjust",
        current,
        (
            f"Adjust {current}: {name} did not improve this time ({described}); one session is not "
            f"enough evidence to switch."
        ),
    )
