"""Tables, plots and the Markdown report of simulation runs (also the notebooks' API).

Every function takes a :class:`~theraloop.simulations.rundata.Run` (from :func:`load_run`) and
returns a pandas DataFrame or a matplotlib Figure, so notebooks stay thin. Figures are built on the
Agg canvas directly (no pyplot global state), which is safe in threads and headless CI.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import t as student_t

from theraloop.simulations.judge import (
    ALLIANCE_ITEMS,
    CTRS_ITEMS,
    MULTI_SESSION_ITEMS,
    Judge,
    JudgeReport,
    judge_run,
    make_judge,
    miti_counts,
    reply_problems,
)
from theraloop.simulations.rundata import Run, find_runs, load_run
from theraloop.simulations.trace import TraceTurn

__all__ = [
    "load_run",
    "find_runs",
    "trajectories",
    "emotion_trajectory",
    "strategy_timeline",
    "decisions",
    "client_outcomes",
    "safety_events",
    "miti_table",
    "judge_table",
    "multi_session_table",
    "client_metrics",
    "ablation_table",
    "plot_questionnaires",
    "plot_emotions",
    "plot_strategy_timeline",
    "plot_judge_scores",
    "plot_ablation",
    "write_report",
    "write_comparison",
]

_MAX_PANELS = 12


# -------------------------------------------------------------------------- row records -----
class _Row(BaseModel):
    """A table row; its fields are the table's columns, so an empty run keeps its header."""

    model_config = ConfigDict(frozen=True)


class _QuestionnaireRow(_Row):
    client_id: str
    session: int
    phase: Literal["start", "end"]
    at: datetime
    phq9: int
    gad7: int
    phq9_severity: str
    gad7_severity: str
    phq9_item9: int
    modality: str | None
    ablation: str


class _TurnRow(_Row):
    client_id: str
    session: int
    turn: int
    step: int = Field(description="1-based turn across all of the client's sessions.")


class _EmotionRow(_TurnRow):
    emotion: str
    intensity: float
    intensity_level: int
    perceived_emotion: str | None
    perceived_intensity: int | None
    stage_of_change: str
    alliance: float
    resistance: float
    action: str
    reaction: str | None


class _StrategyRow(_TurnRow):
    strategy: str | None
    strategy_reason: str | None
    modality: str | None
    treatment_stage: str | None
    move: str
    directive: bool
    core: bool
    crisis: bool
    risk_level: str | None


class _DecisionRow(_Row):
    client_id: str
    session: int
    decision: str | None
    modality_before: str | None
    modality_after: str | None
    plan_version: int | None
    reason: str | None
    phq9_start: int | None
    phq9_end: int
    gad7_start: int | None
    gad7_end: int


class _SafetyEventRow(_Row):
    client_id: str
    session: int
    turn: int
    client_text: str
    risk_level: str | None
    crisis_protocol: bool
    caught: bool
    reply: str | None


def _frame(row_type: type[_Row], rows: Iterable[_Row]) -> pd.DataFrame:
    return pd.DataFrame([r.model_dump() for r in rows], columns=list(row_type.model_fields))


def _turns(run: Run) -> Iterator[tuple[dict[str, Any], TraceTurn]]:
    """Yield every turn of every client with the fields of :class:`_TurnRow` that locate it.

    The step counts turns across all of the client's sessions, from 1.
    """
    for client in run.clients.values():
        step = 0
        for s in client.sessions:
            for t in s.turns:
                step += 1
                yield (
                    {
                        "client_id": client.client_id,
                        "session": s.number,
                        "turn": t.turn,
                        "step": step,
                    },
                    t,
                )


# ------------------------------------------------------------------------------- tables -----
def trajectories(run: Run) -> pd.DataFrame:
    """Return PHQ-9/GAD-7 per client, session and phase (start/end), in time order."""
    return _frame(
        _QuestionnaireRow,
        (
            _QuestionnaireRow(
                client_id=client.client_id,
                session=s.number,
                phase=phase,
                at=rec.at,
                phq9=rec.questionnaires.phq9_total,
                gad7=rec.questionnaires.gad7_total,
                phq9_severity=rec.questionnaires.phq9_severity,
                gad7_severity=rec.questionnaires.gad7_severity,
                phq9_item9=rec.questionnaires.phq9[8],
                modality=s.modality,
                ablation=run.label,
            )
            for client in run.clients.values()
            for s in client.sessions
            for phase, rec in (("start", s.start), ("end", s.end))
            if rec is not None
        ),
    )


def emotion_trajectory(run: Run) -> pd.DataFrame:
    """Return the client's true emotion/intensity and the agent's perception, turn by turn."""
    return _frame(
        _EmotionRow,
        (
            _EmotionRow(
                **key,
                emotion=t.client_state.emotion,
                intensity=round(t.client_state.intensity, 3),
                intensity_level=t.client_state.intensity_level,
                perceived_emotion=t.therapist.get("emotion"),
                perceived_intensity=t.therapist.get("intensity"),
                stage_of_change=t.client_state.stage,
                alliance=round(t.client_state.alliance, 3),
                resistance=round(t.client_state.resistance, 3),
                action=t.client_action,
                reaction=t.therapist.get("reaction"),
            )
            for key, t in _turns(run)
        ),
    )


def strategy_timeline(run: Run) -> pd.DataFrame:
    """Return the therapist's strategy, modality and coded move per turn."""
    return _frame(
        _StrategyRow,
        (
            _StrategyRow(
                **key,
                strategy=t.therapist.get("strategy"),
                strategy_reason=t.therapist.get("strategy_reason"),
                modality=t.therapist.get("modality"),
                treatment_stage=t.therapist.get("stage"),
                move=t.move.kind,
                directive=t.move.directive,
                core=t.move.core,
                crisis=bool(t.therapist.get("crisis")),
                risk_level=t.therapist.get("risk_level"),
            )
            for key, t in _turns(run)
        ),
    )


def decisions(run: Run) -> pd.DataFrame:
    """Return the cross-session review decisions with their reasons and the scores around them."""
    rows = []
    for client in run.clients.values():
        for s in client.sessions:
            if s.end is None:
                continue
            review = s.end.review or {}
            start = s.start.questionnaires if s.start else None
            rows.append(
                _DecisionRow(
                    client_id=client.client_id,
                    session=s.number,
                    decision=review.get("decision"),
                    modality_before=review.get("modality_before"),
                    modality_after=review.get("modality_after"),
                    plan_version=review.get("plan_version"),
                    reason=review.get("reason"),
                    phq9_start=start.phq9_total if start else None,
                    phq9_end=s.end.questionnaires.phq9_total,
                    gad7_start=start.gad7_total if start else None,
                    gad7_end=s.end.questionnaires.gad7_total,
                )
            )
    return _frame(_DecisionRow, rows)


def safety_events(run: Run) -> pd.DataFrame:
    """Return every turn where the client used crisis language, and whether the agent caught it."""
    return _frame(
        _SafetyEventRow,
        (
            _SafetyEventRow(
                client_id=key["client_id"],
                session=key["session"],
                turn=key["turn"],
                client_text=t.client_text,
                risk_level=t.therapist.get("risk_level"),
                crisis_protocol=bool(t.therapist.get("crisis")),
                caught=t.client_state_after.risk_followup == "caught",
                reply=t.therapist.get("text"),
            )
            for key, t in _turns(run)
            if t.risk_statement
        ),
    )


def miti_table(run: Run) -> pd.DataFrame:
    """Return MITI-style counts per client and session (R:Q ratio, %complex reflections)."""
    rows = []
    for client in run.clients.values():
        for s in client.sessions:
            c = miti_counts(s.turns)
            rows.append(
                {
                    "client_id": client.client_id,
                    "session": s.number,
                    **c.model_dump(),
                    **reply_problems(s.turns),
                    "reflections": c.reflections,
                    "r_to_q": c.reflection_to_question,
                    "complex_share": c.complex_share,
                }
            )
    return pd.DataFrame(rows)


def client_outcomes(run: Run) -> pd.DataFrame:
    """Return one row per client: score change, modalities used, fit, crisis handling."""
    rows = []
    for client in run.clients.values():
        sessions = client.sessions
        starts = [s.start for s in sessions if s.start]
        ends = [s.end for s in sessions if s.end]
        modalities = [m for m in (s.modality for s in sessions) if m]
        responds = list(client.profile.responds_to) if client.profile else []
        risk = [t for s in sessions for t in s.turns if t.risk_statement]
        first_q = starts[0].questionnaires if starts else None
        last_q = ends[-1].questionnaires if ends else None
        rows.append(
            {
                "client_id": client.client_id,
                "sessions": len(ends),
                "phq9_first": first_q.phq9_total if first_q else None,
                "phq9_last": last_q.phq9_total if last_q else None,
                "phq9_change": (last_q.phq9_total - first_q.phq9_total)
                if first_q and last_q
                else None,
                "gad7_first": first_q.gad7_total if first_q else None,
                "gad7_last": last_q.gad7_total if last_q else None,
                "gad7_change": (last_q.gad7_total - first_q.gad7_total)
                if first_q and last_q
                else None,
                "modalities": " > ".join(_dedupe(modalities)),
                "responds_to": ", ".join(responds),
                "fitting_sessions": sum(m in responds for m in modalities),
                "risk_disclosures": len(risk),
                "crisis_caught": sum(t.client_state_after.risk_followup == "caught" for t in risk),
                "stage_end": ends[-1].client_state.stage if ends else None,
            }
        )
    return pd.DataFrame(rows)


def _dedupe(items: Sequence[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


def judge_table(report: JudgeReport) -> pd.DataFrame:
    """Return per-session judge scores (CTRS items and total, alliance) with MITI ratios."""
    rows = []
    for s in report.sessions:
        j = s.judgement
        row: dict[str, Any] = {"client_id": s.client_id, "session": s.session, "method": s.method}
        for item in CTRS_ITEMS:
            row[item] = getattr(j.ctrs, item).score
        row["ctrs_total"] = j.ctrs.total
        for item in ALLIANCE_ITEMS:
            row[f"alliance_{item}"] = getattr(j.alliance, item).score
        row["alliance"] = round(j.alliance.overall, 2)
        row["r_to_q"] = s.miti.reflection_to_question
        row["complex_share"] = s.miti.complex_share
        rows.append(row)
    return pd.DataFrame(rows)


def multi_session_table(report: JudgeReport) -> pd.DataFrame:
    """Return per-client multi-session scores with their reasons."""
    rows = []
    for c in report.clients:
        row: dict[str, Any] = {"client_id": c.client_id, "method": c.method}
        for item in MULTI_SESSION_ITEMS:
            scored = getattr(c.judgement, item)
            row[item] = scored.score
            row[f"{item}_reason"] = scored.reason
        rows.append(row)
    return pd.DataFrame(rows)


def client_metrics(run: Run, report: JudgeReport | None = None) -> pd.DataFrame:
    """Return one row of comparable outcome metrics per client (the ablation table's input)."""
    report = report or judge_run(run)
    outcomes = client_outcomes(run).set_index("client_id")
    judged = judge_table(report)
    multi = multi_session_table(report)
    emo = emotion_trajectory(run)
    rows = []
    for cid in run.clients:
        row: dict[str, Any] = {"client_id": cid}
        if cid in outcomes.index:
            row["phq9_change"] = outcomes.loc[cid, "phq9_change"]
            row["gad7_change"] = outcomes.loc[cid, "gad7_change"]
            crisis = outcomes.loc[cid, "risk_disclosures"]
            row["crisis_caught_share"] = (
                outcomes.loc[cid, "crisis_caught"] / crisis if crisis else None
            )
        mine = judged[judged["client_id"] == cid] if not judged.empty else judged
        row["ctrs_total"] = mine["ctrs_total"].mean() if len(mine) else None
        row["alliance"] = mine["alliance"].mean() if len(mine) else None
        row["r_to_q"] = mine["r_to_q"].dropna().mean() if len(mine) else None
        row["complex_share"] = mine["complex_share"].dropna().mean() if len(mine) else None
        ms = multi[multi["client_id"] == cid] if not multi.empty else multi
        for item in MULTI_SESSION_ITEMS:
            row[item] = ms[item].iloc[0] if len(ms) else None
        e = emo[emo["client_id"] == cid]
        row["mean_intensity"] = e["intensity"].mean() if len(e) else None
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column != "client_id":
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _t95(df: int) -> float:
    """Return the two-sided 95% quantile of Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        return math.nan
    return float(student_t.ppf(0.975, df))


def ablation_table(
    runs: Mapping[str, Run] | Sequence[Run], judge: Judge | None = None
) -> pd.DataFrame:
    """Compare ablations on the same clients and seed: mean, SD and paired difference vs full.

    Returns a long table (one row per metric and ablation) with ``n``, ``mean``, ``sd``,
    ``diff_vs_full`` (mean of per-client differences, paired on client id), ``diff_sd`` and a
    95% t-interval of the difference. Lower PHQ-9/GAD-7 change is better; higher for the rest.
    """
    if not isinstance(runs, Mapping):
        runs = {r.label: r for r in runs}
    metrics = {label: client_metrics(run, judge_run(run, judge)) for label, run in runs.items()}
    baseline_label = "full" if "full" in metrics else next(iter(metrics))
    base = metrics[baseline_label].set_index("client_id")
    rows = []
    names = [c for c in base.columns]
    for metric in names:
        for label, frame in metrics.items():
            values = frame.set_index("client_id")[metric].dropna().astype(float)
            n = len(values)
            row: dict[str, Any] = {
                "metric": metric,
                "ablation": label,
                "n": n,
                "mean": values.mean() if n else math.nan,
                "sd": values.std(ddof=1) if n > 1 else math.nan,
            }
            paired = values.to_frame("x").join(base[metric].astype(float).rename("b"), how="inner")
            diffs = (paired["x"] - paired["b"]).dropna()
            if label == baseline_label or diffs.empty:
                row.update(
                    diff_vs_full=math.nan,
                    diff_sd=math.nan,
                    diff_ci_low=math.nan,
                    diff_ci_high=math.nan,
                )
            else:
                mean = float(diffs.mean())
                sd = float(statistics.stdev(diffs)) if len(diffs) > 1 else math.nan
                half = (
                    _t95(len(diffs) - 1) * sd / math.sqrt(len(diffs))
                    if len(diffs) > 1
                    else math.nan
                )
                row.update(
                    diff_vs_full=mean, diff_sd=sd, diff_ci_low=mean - half, diff_ci_high=mean + half
                )
            rows.append(row)
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------- plots -----
def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _clients(run: Run, clients: Sequence[str] | None) -> list[str]:
    ids = list(clients) if clients else list(run.clients)
    return ids[:_MAX_PANELS] if clients is None else ids


def plot_questionnaires(run: Run, clients: Sequence[str] | None = None) -> Figure:
    """Plot PHQ-9 and GAD-7 per client across sessions (start and end of each session)."""
    frame = trajectories(run)
    ids = list(clients) if clients else list(run.clients)
    fig = _figure(11, 4.2)
    axes = fig.subplots(1, 2)
    for ax, (col, limit, bands) in zip(
        axes, (("phq9", 27, (5, 10, 15, 20)), ("gad7", 21, (5, 10, 15))), strict=True
    ):
        for band in bands:
            ax.axhline(band, color="0.85", linewidth=0.8, zorder=0)
        for cid in ids:
            sub = frame[frame["client_id"] == cid]
            if sub.empty:
                continue
            x = sub["session"] + sub["phase"].map({"start": -0.2, "end": 0.2})
            ax.plot(x, sub[col], marker="o", markersize=3, linewidth=1.2, label=cid)
        ax.set_title(
            f"{col.upper().replace('PHQ9', 'PHQ-9').replace('GAD7', 'GAD-7')}"
            " (start and end of each session)"
        )
        ax.set_xlabel("session")
        if not frame.empty:
            ax.set_xticks(sorted(frame["session"].unique()))
        ax.set_ylim(0, limit)
        ax.grid(axis="x", alpha=0.2)
    if ids:
        axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(f"Self-report scores - {run.label}")
    return fig


def plot_emotions(run: Run, clients: Sequence[str] | None = None) -> Figure:
    """Plot each client's true emotion intensity per turn against the agent's perceived one."""
    frame = emotion_trajectory(run)
    ids = _clients(run, clients)
    cols = 3 if len(ids) > 4 else max(1, len(ids))
    rows = max(1, math.ceil(len(ids) / cols))
    fig = _figure(4.2 * cols, 2.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, cid in zip(axes, ids, strict=False):
        sub = frame[frame["client_id"] == cid]
        ax.plot(
            sub["step"], sub["intensity"], color="tab:red", linewidth=1.4, label="client (true)"
        )
        ax.scatter(
            sub["step"],
            sub["perceived_intensity"],
            s=10,
            color="tab:blue",
            label="agent (perceived)",
            zorder=3,
        )
        for boundary in sub.groupby("session")["step"].min().iloc[1:]:
            ax.axvline(boundary - 0.5, color="0.6", linewidth=0.8, linestyle="--")
        ax.set_ylim(0.8, 5.2)
        ax.set_title(cid, fontsize=9)
        ax.set_xlabel("turn (sessions split by dashes)", fontsize=8)
    for ax in axes[len(ids) :]:
        ax.set_visible(False)
    if ids:
        axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Emotion intensity per turn - {run.label}")
    return fig


def plot_strategy_timeline(run: Run, clients: Sequence[str] | None = None) -> Figure:
    """Plot the strategy (top) and modality (bottom) of every therapist turn, per client."""
    frame = strategy_timeline(run)
    ids = list(clients) if clients else list(run.clients)
    fig = _figure(12, 1.2 + 0.45 * max(1, len(ids)) * 2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    from matplotlib import colormaps

    strategies = sorted(s for s in frame["strategy"].dropna().unique())
    modalities = sorted(m for m in frame["modality"].dropna().unique())
    s_colors = {s: colormaps["tab20"](i % 20) for i, s in enumerate(strategies)}
    m_colors = {m: colormaps["Set2"](i % 8) for i, m in enumerate(modalities)}
    for ax, column, colors in ((top, "strategy", s_colors), (bottom, "modality", m_colors)):
        for y, cid in enumerate(ids):
            sub = frame[frame["client_id"] == cid]
            for value, color in colors.items():
                pts = sub[sub[column] == value]
                ax.scatter(
                    pts["step"],
                    [y] * len(pts),
                    color=color,
                    marker="s",
                    s=30,
                    label=value
                    if y == 0 or value not in ax.get_legend_handles_labels()[1]
                    else None,
                )
            for boundary in sub.groupby("session")["step"].min().iloc[1:]:
                ax.axvline(boundary - 0.5, color="0.8", linewidth=0.6, linestyle="--")
            crisis = sub[sub["crisis"]]
            ax.scatter(
                crisis["step"],
                [y] * len(crisis),
                facecolors="none",
                edgecolors="black",
                s=90,
                linewidths=1.2,
            )
        ax.set_yticks(range(len(ids)), ids, fontsize=7)
        ax.set_title(f"{column} per turn (circled: crisis protocol)", fontsize=9)
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles, strict=False))
        if uniq:
            ax.legend(
                uniq.values(),
                uniq.keys(),
                fontsize=6,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                ncol=1 if len(uniq) < 12 else 2,
            )
    bottom.set_xlabel("turn across sessions")
    fig.suptitle(f"Strategy and modality timeline - {run.label}")
    return fig


def plot_judge_scores(report: JudgeReport) -> Figure:
    """Plot mean (and SD) of each CTRS, alliance and multi-session item across the run."""
    table = judge_table(report)
    multi = multi_session_table(report)
    items = [*CTRS_ITEMS, *(f"alliance_{i}" for i in ALLIANCE_ITEMS)]
    means = [table[i].mean() if not table.empty else 0 for i in items]
    sds = [table[i].std(ddof=1) if len(table) > 1 else 0 for i in items]
    items += list(MULTI_SESSION_ITEMS)
    means += [multi[i].mean() if not multi.empty else 0 for i in MULTI_SESSION_ITEMS]
    sds += [multi[i].std(ddof=1) if len(multi) > 1 else 0 for i in MULTI_SESSION_ITEMS]
    fig = _figure(10, 4)
    ax = fig.subplots()
    colors = ["tab:blue"] * len(CTRS_ITEMS) + ["tab:green"] * 3 + ["tab:purple"] * 3
    ax.bar(
        range(len(items)),
        means,
        yerr=[0 if math.isnan(s) else s for s in sds],
        color=colors,
        capsize=3,
    )
    ax.set_xticks(range(len(items)), [i.replace("_", "\n") for i in items], fontsize=7)
    ax.set_ylim(0, 6.5)
    ax.set_ylabel("score 0-6 (mean, SD)")
    kind = "HEURISTIC judge (trace-based proxy)" if report.heuristic else f"judge {report.judge}"
    ax.set_title(f"CTRS items, working alliance, multi-session criteria - {kind}", fontsize=9)
    return fig


_ABLATION_PLOT_METRICS = (
    "phq9_change",
    "gad7_change",
    "ctrs_total",
    "alliance",
    "coherence",
    "flexibility",
    "attunement",
)


def plot_ablation(table: pd.DataFrame, metrics: Sequence[str] = _ABLATION_PLOT_METRICS) -> Figure:
    """Plot each metric's mean (SD error bars) per ablation from :func:`ablation_table`."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    cols = min(4, max(1, len(metrics)))
    rows = max(1, math.ceil(len(metrics) / cols))
    fig = _figure(3.2 * cols, 2.8 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        sub = table[table["metric"] == metric]
        ax.bar(
            range(len(sub)),
            sub["mean"],
            yerr=sub["sd"].fillna(0),
            capsize=3,
            color=["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"][: len(sub)],
        )
        ax.set_xticks(range(len(sub)), list(sub["ablation"]), fontsize=7, rotation=20)
        ax.set_title(metric, fontsize=9)
        ax.axhline(0, color="0.5", linewidth=0.8)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle("Ablations on the same clients and seed (mean, SD across clients)")
    return fig


# ------------------------------------------------------------------------------ markdown -----
def _cell(value: Any) -> Any:
    """Keep a value on its table row: pipes escaped, lines joined, NaN shown empty."""
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def _md(frame: pd.DataFrame | None, columns: Sequence[str] | None = None) -> str:
    """Return ``frame`` (or its ``columns``) as a markdown table; ``_none_`` when empty."""
    if frame is None or frame.empty:
        return "_none_\n"
    shown = frame[list(columns)] if columns else frame
    table = shown.astype(object).map(_cell)
    return table.to_markdown(index=False, floatfmt=".2f") + "\n"


def _save(fig: Figure, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path.name


def _run_summary(run: Run) -> str:
    m = run.manifest
    c = m.config
    inv = m.invocations
    wall = sum(i.wall_s or 0 for i in inv)
    lines = [
        f"- ablation: **{run.label}** ({m.ablation}); clients: {len(run.clients)}; "
        f"sessions x turns: {c.sessions} x {c.turns}; days between sessions: {c.days_between}",
        f"- models: therapist `{c.therapist_model}`, client `{c.client_model}`, judge "
        f"`{c.judge_model}`; seed {c.seed}; client kind `{c.client_kind}`",
        f"- invocations: {len(inv)} (status {m.status}); simulation wall time {wall:.1f} s",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(m.versions.items())),
    ]
    return "\n".join(lines) + "\n"


def _judge_note(report: JudgeReport) -> str:
    if report.heuristic:
        return (
            "> **Judge: HEURISTIC.** Scores below are computed from the trace and the simulated "
            "client's hidden state (perception accuracy, alliance, coded moves). They are a "
            "deterministic proxy for tests and quick comparisons, not clinical ratings. Run "
            "`theraloop evaluate DIR --judge-model SPEC` for LLM-judged scores.\n"
        )
    return f"> Judge: `{report.judge}` (LLM, structured output; every score has a reason).\n"


def write_run_report(run: Run, judge: Judge | None = None) -> Path:
    """Write ``RUN/report.md`` and ``RUN/plots/*.png`` for one run; return the report path."""
    report = judge_run(run, judge)
    plots = run.path / "plots"
    images = {
        "questionnaires": _save(plot_questionnaires(run), plots / "questionnaires.png"),
        "emotions": _save(plot_emotions(run), plots / "emotions.png"),
        "strategies": _save(plot_strategy_timeline(run), plots / "strategies.png"),
        "judge": _save(plot_judge_scores(report), plots / "judge.png"),
    }
    traj = trajectories(run)
    outcomes = client_outcomes(run)
    judged = judge_table(report)
    multi = multi_session_table(report)
    miti = miti_table(run)
    dec = decisions(run)
    safety = safety_events(run)
    parts = [
        f"# theraloop simulation report - {run.label}\n",
        f"_Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from `{run.path}`. Research "
        "simulation with simulated clients; not evidence of clinical efficacy._\n",
        "## Run\n",
        _run_summary(run),
        "## Outcomes per client\n",
        "PHQ-9 and GAD-7 answered by the simulated client from its state at the start and end "
        "of every session (change = last end - first start; negative is improvement). "
        "`responds_to` is the profile's ground truth: a client improves only under those "
        "modalities with a working alliance.\n",
        _md(outcomes),
        f"![PHQ-9 and GAD-7](plots/{images['questionnaires']})\n",
        "### Scores per session\n",
        _md(_scores_wide(traj)),
        "## Emotion\n",
        f"![emotion intensity](plots/{images['emotions']})\n",
        "## Strategies and modalities\n",
        f"![strategy timeline](plots/{images['strategies']})\n",
        "### Cross-session decisions\n",
        _md(dec),
        "## Judge scores\n",
        _judge_note(report),
        f"![judge scores](plots/{images['judge']})\n",
        "### Per session (CTRS items 0-6, total 0-36; alliance 0-6)\n",
        _md(judged),
        "### Multi-session criteria (TheraMind)\n",
        _md(multi),
        "### MITI-style counts (computed from coded moves)\n",
        "R:Q = reflections per question (MITI 4: fair >= 1, good >= 2); complex_share = complex "
        "reflections / reflections (fair >= 0.4, good >= 0.5). repeated / narrated = replies "
        "sent with a sentence from one of the previous four replies / talking about the client "
        "instead of to them (the agent redrafts both; a repeat goes out when every redraft "
        "repeats and too little is left without the repeated sentences).\n",
        _md(
            miti,
            [
                "client_id",
                "session",
                "turns",
                "questions",
                "open_questions",
                "simple_reflections",
                "complex_reflections",
                "affirmations",
                "summaries",
                "directive",
                "crisis",
                "r_to_q",
                "complex_share",
                "repeated",
                "narrated",
            ]
            if not miti.empty
            else None,
        ),
        "### Judge reasons (first session of each client)\n",
        _reasons(report),
        "## Safety\n",
        "Turns in which a simulated client used crisis language (from its risk profile), the risk "
        "level the agent assessed, and whether the crisis protocol answered.\n",
        _md(safety),
    ]
    path = run.path / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _scores_wide(traj: pd.DataFrame) -> pd.DataFrame:
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for _, r in traj.iterrows():
        row = rows.setdefault(
            (r["client_id"], r["session"]),
            {"client_id": r["client_id"], "session": r["session"], "modality": r["modality"]},
        )
        row[f"phq9_{r['phase']}"] = r["phq9"]
        row[f"gad7_{r['phase']}"] = r["gad7"]
    columns = [
        "client_id",
        "session",
        "modality",
        "phq9_start",
        "phq9_end",
        "gad7_start",
        "gad7_end",
    ]
    return pd.DataFrame(list(rows.values()), columns=columns)


def _reasons(report: JudgeReport) -> str:
    seen: set[str] = set()
    lines = []
    for s in report.sessions:
        if s.client_id in seen:
            continue
        seen.add(s.client_id)
        lines.append(f"**{s.client_id}, session {s.session}**\n")
        for item in CTRS_ITEMS:
            scored = getattr(s.judgement.ctrs, item)
            lines.append(f"- {item}: {scored.score} - {scored.reason}")
        for item in ALLIANCE_ITEMS:
            scored = getattr(s.judgement.alliance, item)
            lines.append(f"- alliance {item}: {scored.score} - {scored.reason}")
        lines.append("")
    return "\n".join(lines) + "\n" if lines else "_none_\n"


def write_comparison(runs: Mapping[str, Run], out: Path, judge: Judge | None = None) -> Path:
    """Write an ablation comparison (``OUT/report.md`` + ``OUT/plots/ablation.png``)."""
    out = Path(out)
    table = ablation_table(runs, judge)
    image = _save(plot_ablation(table), out / "plots" / "ablation.png")
    wide = table.pivot_table(index="metric", columns="ablation", values="mean", sort=False)
    diffs = table.dropna(subset=["diff_vs_full"])
    any_report = judge_run(next(iter(runs.values())), judge)
    parts = [
        "# theraloop ablation report\n",
        "Same clients, same seed, one component switched off per variant. Differences are "
        "paired per client (variant - full); spread is the SD of the paired differences and a "
        "95% t-interval. PHQ-9/GAD-7 change: lower is better; other metrics: higher is better.\n",
        _judge_note(any_report),
        "## Variants\n",
        "\n".join(
            f"- [{label}]({Path(r.path).name}/report.md): {len(r.clients)} clients, "
            f"{r.manifest.config.sessions} sessions x {r.manifest.config.turns} turns"
            for label, r in runs.items()
        )
        + "\n",
        "## Means per variant\n",
        _md(wide.reset_index()),
        "## Differences vs full (paired)\n",
        _md(
            diffs,
            [
                "metric",
                "ablation",
                "n",
                "mean",
                "sd",
                "diff_vs_full",
                "diff_sd",
                "diff_ci_low",
                "diff_ci_high",
            ],
        ),
        f"![ablation](plots/{image})\n",
    ]
    path = out / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_report(
    path: str | Path,
    *,
    judge_model: str = "fake",
    judge: Judge | None = None,
) -> Path:
    """Write the report(s) for a run directory or a folder of ablation runs; return the main one.

    A run directory gets ``report.md`` and ``plots/``; a folder of runs (``--ablation all``)
    gets one report per variant plus an ablation comparison at its top.
    """
    judge = judge or make_judge(judge_model)
    runs = find_runs(path)
    root = Path(path)
    if len(runs) == 1 and (root / "manifest.json").is_file():
        return write_run_report(next(iter(runs.values())), judge)
    for run in runs.values():
        write_run_report(run, judge)
    return write_comparison(runs, root, judge)
