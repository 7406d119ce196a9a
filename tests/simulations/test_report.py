from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import theraloop.simulations.report as report_module
from theraloop.simulations.judge import (
    HeuristicJudge,
    LLMJudge,
    MultiSessionJudgement,
    SessionJudgement,
    judge_run,
    make_judge,
    miti_counts,
    reply_problems,
)
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.report import (
    ablation_table,
    client_outcomes,
    decisions,
    emotion_trajectory,
    plot_ablation,
    plot_emotions,
    plot_judge_scores,
    plot_questionnaires,
    plot_strategy_timeline,
    safety_events,
    strategy_timeline,
    trajectories,
    write_report,
)
from theraloop.simulations.rundata import find_runs, load_run
from theraloop.simulations.runner import RunConfig, run_ablations, run_simulation

CLIENTS = ["depression-maya", "risk-alex", "substance-ryan"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, request) -> Path:
    from tests.simulations.sim_standin import StandInTherapist

    out = tmp_path_factory.mktemp("run")
    run_simulation(
        RunConfig(sessions=3, turns=5, seed=3),
        out,
        resolve_profiles(CLIENTS),
        agent_factory=lambda d, c, k: StandInTherapist(d, c, k),
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def ablation_dir(tmp_path_factory) -> Path:
    from tests.simulations.sim_standin import StandInTherapist

    out = tmp_path_factory.mktemp("ablation")
    run_ablations(
        RunConfig(sessions=3, turns=4, seed=3),
        out,
        resolve_profiles(CLIENTS),
        agent_factory=lambda d, c, k: StandInTherapist(d, c, k),
        progress=False,
    )
    return out


def test_load_run_reads_every_client_and_session(run_dir):
    run = load_run(run_dir)
    assert set(run.clients) == set(CLIENTS) and run.label == "full"
    maya = run.clients["depression-maya"]
    assert [s.number for s in maya.sessions] == [1, 2, 3]
    assert all(s.complete and len(s.turns) == 5 for s in maya.sessions)
    assert maya.profile is not None and maya.profile.id == "depression-maya"


def test_trajectories_have_start_and_end_scores_per_session(run_dir):
    frame = trajectories(load_run(run_dir))
    assert len(frame) == len(CLIENTS) * 3 * 2
    assert {"client_id", "session", "phase", "phq9", "gad7", "modality"} <= set(frame.columns)
    assert frame["phq9"].between(0, 27).all() and frame["gad7"].between(0, 21).all()


def test_turn_level_tables_cover_every_turn(run_dir):
    run = load_run(run_dir)
    emo, strat = emotion_trajectory(run), strategy_timeline(run)
    assert len(emo) == len(strat) == len(CLIENTS) * 3 * 5
    assert {"intensity", "perceived_intensity", "stage_of_change", "alliance"} <= set(emo.columns)
    assert {"strategy", "modality", "move", "crisis"} <= set(strat.columns)


def test_decisions_and_safety_tables_show_reasons_and_caught_crises(run_dir):
    run = load_run(run_dir)
    dec = decisions(run)
    assert len(dec) == len(CLIENTS) * 3 and dec["reason"].notna().all()
    safety = safety_events(run)
    assert list(safety["client_id"]) == ["risk-alex"]
    assert safety["caught"].all() and safety["crisis_protocol"].all()


def test_outcomes_separate_fitting_from_non_fitting_modalities(run_dir):
    outcomes = client_outcomes(load_run(run_dir)).set_index("client_id")
    assert outcomes.loc["substance-ryan", "fitting_sessions"] == 0
    assert outcomes.loc["depression-maya", "fitting_sessions"] >= 2


def test_heuristic_judge_scores_every_session_with_reasons(run_dir):
    report = judge_run(load_run(run_dir), HeuristicJudge())
    assert report.heuristic and len(report.sessions) == len(CLIENTS) * 3
    for s in report.sessions:
        assert 0 <= s.judgement.ctrs.total <= 36
        assert s.judgement.ctrs.understanding.reason
        assert s.miti.turns == 5
    assert len(report.clients) == len(CLIENTS)
    assert all(c.judgement.coherence.reason for c in report.clients)
    assert (run_dir / "judge" / "heuristic.json").is_file()


def test_miti_counts_reflections_questions_and_complex_share(run_dir):
    session = load_run(run_dir).clients["depression-maya"].sessions[0]
    counts = miti_counts(session.turns)
    assert counts.questions >= 1 and counts.reflections >= 1
    assert counts.reflection_to_question == counts.reflections / counts.questions
    assert 0 <= counts.complex_share <= 1


def test_reply_problems_count_what_got_through_per_session(run_dir):
    session = load_run(run_dir).clients["depression-maya"].sessions[0]
    clean = reply_problems(session.turns)
    assert set(clean) == {"repeated", "narrated", "placeholder"}
    first = session.turns[0]
    said = "I hear you. What has made this week feel so heavy for you?"
    turns = [
        first.model_copy(update={"therapist": {**first.therapist, "text": text}})
        for text in (said, "The client said the week was heavy.", f"Okay. {said.split('. ')[1]}")
    ]
    assert reply_problems(turns) == {"repeated": 1, "narrated": 1, "placeholder": 0}


class _StructuredModel:
    """Anything with ``with_structured_output`` is a judge model; this one returns fixed scores."""

    def __init__(self) -> None:
        self.schemas: list[type] = []

    def with_structured_output(self, schema):  # noqa: ANN001
        self.schemas.append(schema)
        item = {"score": 5, "reason": "Warm and focused."}

        class _Runnable:
            def invoke(self, messages):  # noqa: ANN001
                assert "Counsellor:" in messages[-1].content
                names = schema.model_fields
                if schema is SessionJudgement:
                    return {
                        "ctrs": {k: item for k in names["ctrs"].annotation.model_fields},
                        "alliance": {k: item for k in names["alliance"].annotation.model_fields},
                    }
                return schema.model_validate({k: item for k in names})

        return _Runnable()


def test_llm_judge_asks_for_structured_scores(run_dir):
    model = _StructuredModel()
    judge = LLMJudge(model, name="llm:test")
    run = load_run(run_dir)
    client = run.clients["depression-maya"]
    session = judge.judge_session(client, client.sessions[0])
    assert session.ctrs.total == 30 and session.alliance.bond.reason == "Warm and focused."
    course = judge.judge_client(client)
    assert isinstance(course, MultiSessionJudgement) and course.flexibility.score == 5
    assert model.schemas == [SessionJudgement, MultiSessionJudgement]


def test_llm_judge_falls_back_to_labelled_heuristics_when_the_model_fails(run_dir):
    class Broken:
        def with_structured_output(self, schema):  # noqa: ANN001
            raise RuntimeError("model down")

    run = load_run(run_dir)
    client = run.clients["risk-alex"]
    result = LLMJudge(Broken()).judge_session(client, client.sessions[0])
    assert result.ctrs.focus.reason.startswith("[heuristic fallback")


def test_fake_judge_spec_is_the_heuristic_judge():
    assert isinstance(make_judge("fake"), HeuristicJudge)


def test_plot_functions_return_figures(run_dir):
    run = load_run(run_dir)
    report = judge_run(run)
    for fig in (
        plot_questionnaires(run),
        plot_emotions(run),
        plot_strategy_timeline(run),
        plot_judge_scores(report),
    ):
        assert isinstance(fig, Figure) and fig.axes


def test_write_report_produces_markdown_and_plots(run_dir):
    path = write_report(run_dir)
    text = path.read_text()
    assert path == run_dir / "report.md"
    for section in (
        "Outcomes per client",
        "Cross-session decisions",
        "Judge scores",
        "MITI",
        "Multi-session",
        "Safety",
    ):
        assert section in text
    assert "HEURISTIC" in text
    for name in ("questionnaires", "emotions", "strategies", "judge"):
        png = run_dir / "plots" / f"{name}.png"
        assert png.stat().st_size > 5_000 and f"plots/{name}.png" in text


def test_ablation_table_compares_variants_paired_on_clients(ablation_dir):
    runs = find_runs(ablation_dir)
    assert list(runs) == ["full", "no-memory", "no-cross-session", "fixed-cbt"]
    table = ablation_table(runs)
    assert {"metric", "ablation", "n", "mean", "sd", "diff_vs_full", "diff_sd"} <= set(
        table.columns
    )
    coherence = table[table["metric"] == "coherence"].set_index("ablation")
    assert coherence.loc["no-memory", "diff_vs_full"] < 0  # the stand-in forgets without memory
    assert coherence.loc["no-memory", "n"] == len(CLIENTS)
    assert table[table["ablation"] == "full"]["diff_vs_full"].isna().all()
    assert isinstance(plot_ablation(table), Figure)


def test_ablation_differences_carry_a_95_percent_t_interval(ablation_dir):
    table = ablation_table(find_runs(ablation_dir))
    row = table[(table["metric"] == "coherence") & (table["ablation"] == "no-memory")].iloc[0]
    half = 4.302653 * row["diff_sd"] / len(CLIENTS) ** 0.5  # t(0.975, df=2)
    assert row["diff_ci_low"] == pytest.approx(row["diff_vs_full"] - half, rel=1e-5)
    assert row["diff_ci_high"] == pytest.approx(row["diff_vs_full"] + half, rel=1e-5)


def test_evaluating_an_ablation_folder_writes_variant_reports_and_a_comparison(ablation_dir):
    path = write_report(ablation_dir)
    assert path == ablation_dir / "report.md"
    text = path.read_text()
    assert "Differences vs full" in text and "no-memory" in text
    assert (ablation_dir / "plots" / "ablation.png").is_file()
    for label in ("full", "no-memory", "no-cross-session", "fixed-cbt"):
        assert (ablation_dir / label / "report.md").is_file()


def test_report_tables_keep_each_row_on_one_line_and_show_missing_values_empty():
    frame = pd.DataFrame(
        {"client_id": ["a|b", "two\nlines", None], "score": [1.234, float("nan"), 3.0]}
    )
    rows = report_module._md(frame).splitlines()
    assert len(rows) == 2 + len(frame)
    assert "a\\|b" in rows[2] and "1.23" in rows[2]
    assert "two lines" in rows[3] and "nan" not in rows[3].lower()
    assert report_module._md(frame.iloc[:0]) == "_none_\n"
