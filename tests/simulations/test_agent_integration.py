"""The runner against the real ``TherapistAgent`` (fake chat models, real stores and MiniLM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.report import safety_events, write_report
from theraloop.simulations.rundata import load_run
from theraloop.simulations.runner import (
    RunConfig,
    default_agent_factory,
    load_manifest,
    run_simulation,
)
from theraloop.simulations.trace import (
    SessionEndRecord,
    TraceTurn,
    completed_sessions,
    read_trace,
    trace_path,
)

REPO = Path(__file__).resolve().parents[2]


class PowerCut(RuntimeError):
    """The therapist process died."""


class Interrupting:
    """Wrap a real agent and die on its ``after``-th reply (before answering it)."""

    def __init__(self, inner, after: int) -> None:
        self.inner, self.after, self.count = inner, after, 0

    def respond(self, client_id, text):  # noqa: ANN001
        self.count += 1
        if self.count >= self.after:
            raise PowerCut("power cut")
        return self.inner.respond(client_id, text)

    def __getattr__(self, name):  # noqa: ANN001
        return getattr(self.inner, name)


def simulate(out: Path, embedder, profiles: list[str], *, factory=None, **kw):
    config = RunConfig(**{"sessions": 2, "turns": 3, "seed": 5, "therapist_model": "fake", **kw})
    return run_simulation(
        config,
        out,
        resolve_profiles(profiles),
        agent_factory=factory or default_agent_factory(embedder),
        progress=False,
    )


def turns(out: Path, cid: str) -> list[TraceTurn]:
    return [r for r in read_trace(trace_path(out, cid)) if isinstance(r, TraceTurn)]


def test_real_agent_run_records_replies_decisions_and_reviews(tmp_path, cached_minilm):
    result = simulate(tmp_path, cached_minilm, ["depression-maya", "substance-ryan"], workers=2)
    assert result.ok, [o.error for o in result.outcomes]
    for cid in ("depression-maya", "substance-ryan"):
        assert completed_sessions(tmp_path, cid) == [1, 2]
        records = read_trace(trace_path(tmp_path, cid))
        recorded = [r for r in records if isinstance(r, TraceTurn)]
        assert len(recorded) == 6
        first = recorded[0].therapist
        assert first["text"] and first["strategy"] and first["modality"]
        assert first["trace_id"] and isinstance(first["trace"], dict)
        ends = [r for r in records if isinstance(r, SessionEndRecord)]
        assert [e.review["session_number"] for e in ends] == [1, 2]
        assert all(e.review["decision"] in ("keep", "adjust", "switch", "escalate") for e in ends)
    assert (tmp_path / "clients" / "depression-maya").is_dir()
    assert load_manifest(tmp_path).status == "complete"


def test_real_agent_resumes_an_interrupted_session_without_duplicating_turns(
    tmp_path, cached_minilm
):
    base = default_agent_factory(cached_minilm)
    broken = simulate(
        tmp_path,
        cached_minilm,
        ["depression-maya"],
        factory=lambda d, c, k: Interrupting(base(d, c, k), after=5),
    )
    assert broken.outcomes[0].error and "power cut" in broken.outcomes[0].error
    assert completed_sessions(tmp_path, "depression-maya") == [1]
    resumed = simulate(tmp_path, cached_minilm, ["depression-maya"])
    assert resumed.ok and resumed.outcomes[0].resumed
    recorded = turns(tmp_path, "depression-maya")
    assert [(t.session, t.turn) for t in recorded] == [(s, t) for s in (1, 2) for t in (1, 2, 3)]
    assert all(t.gap == 0 for t in recorded)
    from theraloop.memory import ManualClock

    check = default_agent_factory(cached_minilm)(
        tmp_path / "clients" / "depression-maya",
        RunConfig(therapist_model="fake", seed=5),
        ManualClock(RunConfig().start),
    )
    try:
        export = check.export_client("depression-maya")
    finally:
        check.close()
    assert [len(c) for c in export["conversations"].values()] == [3, 3]


def test_escalating_risk_client_is_caught_by_the_crisis_protocol(tmp_path, cached_minilm):
    result = simulate(tmp_path, cached_minilm, ["risk-alex"], sessions=3, turns=3)
    assert result.ok, [o.error for o in result.outcomes]
    events = safety_events(load_run(tmp_path))
    assert len(events) >= 1 and set(events["session"]) == {3}
    first = events.iloc[0]
    assert first["crisis_protocol"], (first["client_text"], first["risk_level"], first["reply"])
    assert first["risk_level"] in ("moderate", "high", "imminent")
    assert events["caught"].all()


def test_real_agent_run_is_deterministic_with_a_seed(tmp_path, cached_minilm):
    simulate(tmp_path / "a", cached_minilm, ["anxiety-priya"])
    simulate(tmp_path / "b", cached_minilm, ["anxiety-priya"])

    def essence(out: Path) -> list[tuple]:
        return [
            (
                t.client_text,
                t.therapist["text"],
                t.therapist["strategy"],
                t.therapist["modality"],
                round(t.client_state_after.intensity, 6),
            )
            for t in turns(out, "anxiety-priya")
        ]

    assert essence(tmp_path / "a") == essence(tmp_path / "b")


@pytest.mark.parametrize("ablation", ["no-memory", "no-cross-session", "fixed-cbt"])
def test_ablations_run_on_the_real_agent(tmp_path, cached_minilm, ablation):
    result = simulate(tmp_path, cached_minilm, ["grief-harold"], ablation=ablation)
    assert result.ok, [o.error for o in result.outcomes]
    recorded = turns(tmp_path, "grief-harold")
    if ablation == "fixed-cbt":
        assert {t.therapist["modality"] for t in recorded} == {"cbt"}
    if ablation == "no-memory":
        assert all(not t.therapist.get("recalled") for t in recorded)
    write_report(tmp_path)
    assert (tmp_path / "report.md").is_file()


def test_killed_simulate_process_resumes_on_rerun(tmp_path):
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "theraloop.simulations.cli",
        "simulate",
        "--profiles",
        "depression-maya",
        "--sessions",
        "2",
        "--turns",
        "4",
        "--out",
        str(out),
        "--therapist-model",
        "fake",
        "--seed",
        "2",
        "--no-progress",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    path = trace_path(out, "depression-maya")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if path.is_file() and len(path.read_text().splitlines()) >= 7:  # inside session 2
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    recorded = turns(out, "depression-maya")
    keys = [(t.session, t.turn) for t in recorded]
    assert keys == [(s, t) for s in (1, 2) for t in (1, 2, 3, 4)]
    assert completed_sessions(out, "depression-maya") == [1, 2]
    invocations = json.loads((out / "manifest.json").read_text())["invocations"]
    assert len(invocations) == 2 and invocations[-1]["resumed"]
