from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.simulations.sim_standin import StandInTherapist
from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.runner import (
    ABLATIONS,
    RunConfig,
    ablation_settings,
    load_manifest,
    run_ablations,
    run_simulation,
)
from theraloop.simulations.trace import (
    SessionEndRecord,
    SessionStartRecord,
    TraceTurn,
    completed_sessions,
    read_trace,
    trace_path,
)

CLIENTS = ["depression-maya", "risk-alex"]


def config(**kw) -> RunConfig:
    return RunConfig(**{"sessions": 3, "turns": 4, "seed": 1, **kw})


def run(out: Path, factory, *, profiles=CLIENTS, **kw):
    return run_simulation(
        config(**kw), out, resolve_profiles(profiles), agent_factory=factory, progress=False
    )


def turns_of(out: Path, cid: str) -> list[TraceTurn]:
    return [r for r in read_trace(trace_path(out, cid)) if isinstance(r, TraceTurn)]


def stripped(out: Path, cid: str) -> list[str]:
    """Return the trace lines without fields that legitimately differ between runs."""
    lines = []
    for line in trace_path(out, cid).read_text().splitlines():
        data = json.loads(line)
        data.pop("resumed", None)
        lines.append(json.dumps(data, sort_keys=True))
    return lines


def test_run_writes_a_trace_per_client_markers_and_a_manifest(tmp_path, standin_factory):
    result = run(tmp_path, standin_factory())
    assert result.ok and [o.sessions_done for o in result.outcomes] == [3, 3]
    for cid in CLIENTS:
        records = read_trace(trace_path(tmp_path, cid))
        kinds = [type(r) for r in records]
        assert kinds.count(SessionStartRecord) == 3 and kinds.count(SessionEndRecord) == 3
        assert kinds.count(TraceTurn) == 12
        assert completed_sessions(tmp_path, cid) == [1, 2, 3]
    manifest = load_manifest(tmp_path)
    assert manifest.status == "complete" and manifest.config.seed == 1
    assert {"langgraph", "pydantic", "python"} <= set(manifest.versions)
    assert manifest.agent_settings["therapist_model"] == "fake"
    assert (tmp_path / "profiles" / "risk-alex.json").is_file()


def test_turn_records_hold_the_decision_trace_and_the_client_state(tmp_path, standin_factory):
    run(tmp_path, standin_factory(), profiles=["depression-maya"])
    turn = turns_of(tmp_path, "depression-maya")[0]
    assert turn.therapist["strategy"] and turn.therapist["trace"]["nodes"]
    assert turn.client_state.emotion and 1 <= turn.client_state.intensity <= 5
    assert turn.client_action and turn.move.kind
    start = next(
        r
        for r in read_trace(trace_path(tmp_path, "depression-maya"))
        if isinstance(r, SessionStartRecord)
    )
    assert len(start.questionnaires.phq9) == 9 and start.questionnaires.phq9_severity


def test_simulated_time_advances_per_turn_and_days_between_sessions(tmp_path, standin_factory):
    run(
        tmp_path,
        standin_factory(),
        profiles=["depression-maya"],
        days_between=7,
        minutes_per_turn=5,
    )
    records = read_trace(trace_path(tmp_path, "depression-maya"))
    starts = [r.at for r in records if isinstance(r, SessionStartRecord)]
    assert (starts[1] - starts[0]).days == 7
    turns = [r.at for r in records if isinstance(r, TraceTurn) and r.session == 1]
    assert (turns[1] - turns[0]).total_seconds() == 300


def test_rerunning_a_finished_run_skips_every_session(tmp_path, standin_factory):
    run(tmp_path, standin_factory())
    calls: list[str] = []
    again = run(tmp_path, standin_factory(calls=calls))
    assert all(o.skipped for o in again.outcomes)
    assert "respond" not in calls
    assert len(turns_of(tmp_path, "risk-alex")) == 12


def test_more_sessions_extend_a_finished_run(tmp_path, standin_factory):
    run(tmp_path, standin_factory(), sessions=2)
    run(tmp_path, standin_factory(), sessions=3)
    assert completed_sessions(tmp_path, "depression-maya") == [1, 2, 3]
    assert [t.session for t in turns_of(tmp_path, "depression-maya")].count(3) == 4


def test_resume_after_interruption_mid_session_duplicates_no_turn(tmp_path, standin_factory):
    # the therapist process dies on its 7th reply: session 2, turn 3
    broken = run(tmp_path, standin_factory(fail_after=7), profiles=["depression-maya"])
    assert broken.outcomes[0].error and "power cut" in broken.outcomes[0].error
    assert completed_sessions(tmp_path, "depression-maya") == [1]
    assert len(turns_of(tmp_path, "depression-maya")) == 6
    resumed = run(tmp_path, standin_factory(), profiles=["depression-maya"])
    assert resumed.ok and resumed.outcomes[0].resumed
    turns = turns_of(tmp_path, "depression-maya")
    keys = [(t.session, t.turn) for t in turns]
    assert len(keys) == len(set(keys)) == 12
    assert all(t.gap == 0 for t in turns)
    agent_state = json.loads(
        (tmp_path / "clients" / "depression-maya" / "standin.json").read_text()
    )
    assert [len(s["turns"]) for s in agent_state["sessions"]] == [4, 4, 4]
    starts = [
        r
        for r in read_trace(trace_path(tmp_path, "depression-maya"))
        if isinstance(r, SessionStartRecord)
    ]
    assert [s.session for s in starts] == [1, 2, 3]


def test_resumed_run_equals_an_uninterrupted_one(tmp_path, standin_factory):
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    run(straight, standin_factory(), profiles=["risk-alex"])
    run(broken, standin_factory(fail_after=6), profiles=["risk-alex"])
    run(broken, standin_factory(), profiles=["risk-alex"])
    assert stripped(straight, "risk-alex") == stripped(broken, "risk-alex")


def test_same_seed_gives_the_same_traces_and_another_seed_does_not(tmp_path, standin_factory):
    run(tmp_path / "a", standin_factory(), profiles=["depression-maya"])
    run(tmp_path / "b", standin_factory(), profiles=["depression-maya"])
    run(tmp_path / "c", standin_factory(), profiles=["depression-maya"], seed=2)
    assert stripped(tmp_path / "a", "depression-maya") == stripped(
        tmp_path / "b", "depression-maya"
    )
    assert stripped(tmp_path / "a", "depression-maya") != stripped(
        tmp_path / "c", "depression-maya"
    )


def test_parallel_workers_give_the_same_traces_as_one_worker(tmp_path, standin_factory):
    three = ["depression-maya", "risk-alex", "substance-ryan"]
    run(tmp_path / "serial", standin_factory(), profiles=three, workers=1)
    run(tmp_path / "parallel", standin_factory(), profiles=three, workers=3)
    for cid in three:
        assert stripped(tmp_path / "serial", cid) == stripped(tmp_path / "parallel", cid)


def test_a_failing_client_does_not_stop_the_others(tmp_path):
    def factory(data_dir, cfg, clock):
        fail = 1 if data_dir.name == "risk-alex" else None
        return StandInTherapist(data_dir, cfg, clock, fail_after=fail)

    result = run(tmp_path, factory)
    errors = {o.client_id: o.error for o in result.outcomes}
    assert errors["depression-maya"] is None and errors["risk-alex"]
    assert load_manifest(tmp_path).status == "failed"


def test_a_run_directory_refuses_other_settings(tmp_path, standin_factory):
    run(tmp_path, standin_factory(), sessions=1)
    with pytest.raises(InvalidInputError, match="seed"):
        run(tmp_path, standin_factory(), sessions=1, seed=99)


def test_a_torn_last_trace_line_is_cut_on_resume(tmp_path, standin_factory):
    run(tmp_path, standin_factory(fail_after=3), profiles=["depression-maya"])
    path = trace_path(tmp_path, "depression-maya")
    with path.open("a") as fh:
        fh.write('{"type": "turn", "client_id": "depression-m')  # crash mid-write
    run(tmp_path, standin_factory(), profiles=["depression-maya"])
    assert len(turns_of(tmp_path, "depression-maya")) == 12


def test_ablations_map_to_agent_settings():
    assert ablation_settings("none") == {}
    assert ablation_settings("no-memory") == {"use_memory": False}
    assert ablation_settings("no-cross-session") == {"cross_session": False}
    assert ablation_settings("fixed-cbt") == {"fixed_modality": "cbt"}


def test_run_ablations_writes_one_run_per_variant_on_the_same_clients(tmp_path, standin_factory):
    results = run_ablations(
        config(sessions=2),
        tmp_path,
        resolve_profiles(CLIENTS),
        agent_factory=standin_factory(),
        progress=False,
    )
    assert list(results) == ["full", "no-memory", "no-cross-session", "fixed-cbt"]
    for label, ablation in zip(results, ABLATIONS, strict=True):
        manifest = load_manifest(tmp_path / label)
        assert manifest.ablation == ablation and manifest.config.seed == 1
        assert {c.id for c in manifest.clients} == set(CLIENTS)
    fixed = turns_of(tmp_path / "fixed-cbt", "depression-maya")
    assert {t.therapist["modality"] for t in fixed} == {"cbt"}
