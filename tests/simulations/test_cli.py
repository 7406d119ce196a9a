from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from theraloop.simulations import cli
from theraloop.simulations.trace import completed_sessions

REPO = Path(__file__).resolve().parents[2]
_PROBE = """
import sys
from theraloop.simulations.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = [m for m in ("pandas", "matplotlib", "theraloop.agent", "torch", "chromadb", "langgraph",
                     "langchain_core", "pydantic", "theraloop.simulations.report")
         if m in sys.modules]
print("HEAVY", heavy)
"""


def _probe(argv: list[str]) -> tuple[str, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.stdout, time.perf_counter() - started


@pytest.mark.parametrize("argv", [["--help"], ["simulate", "--help"], ["evaluate", "--help"]])
def test_help_is_fast_and_imports_nothing_heavy(argv):
    out, seconds = _probe(argv)
    assert "HEAVY []" in out
    assert "usage: theraloop" in out
    assert seconds < 5


def test_simulate_help_lists_exactly_the_documented_flags():
    out, _ = _probe(["simulate", "--help"])
    for flag in (
        "--profiles",
        "--sessions",
        "--turns",
        "--days-between",
        "--workers",
        "--out",
        "--therapist-model",
        "--client-model",
        "--judge-model",
        "--ablation",
        "--seed",
    ):
        assert flag in out
    for choice in ("no-memory", "no-cross-session", "fixed-cbt", "all"):
        assert choice in out


def test_chat_delegates_to_the_agent_cli(monkeypatch):
    import theraloop.agent.cli

    seen: list[list[str]] = []
    monkeypatch.setattr(theraloop.agent.cli, "chat_main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["chat", "--client", "alice", "--model", "fake"]) == 0
    assert seen == [["--client", "alice", "--model", "fake"]]


def test_no_subcommand_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "simulate" in capsys.readouterr().out


def test_unknown_profile_is_a_usage_error(tmp_path, capsys):
    code = cli.main(
        ["simulate", "--profiles", "nobody", "--out", str(tmp_path), "--therapist-model", "fake"]
    )
    assert code == 2 and "nobody" in capsys.readouterr().err


def test_bad_model_spec_is_a_usage_error(tmp_path, capsys):
    code = cli.main(
        [
            "simulate",
            "--profiles",
            "depression-maya",
            "--out",
            str(tmp_path),
            "--therapist-model",
            "gpt-9",
        ]
    )
    assert code == 2 and "therapist-model" in capsys.readouterr().err


def test_simulate_then_evaluate_through_the_command_line(tmp_path, monkeypatch, capsys):
    import theraloop.simulations.runner as runner
    from tests.simulations.sim_standin import StandInTherapist

    monkeypatch.setattr(
        runner,
        "default_agent_factory",
        lambda embedder=None: lambda d, c, k: StandInTherapist(d, c, k),
    )
    out = tmp_path / "run"
    argv = [
        "simulate",
        "--profiles",
        "depression-maya",
        "risk-*",
        "--sessions",
        "2",
        "--turns",
        "3",
        "--days-between",
        "5",
        "--workers",
        "2",
        "--out",
        str(out),
        "--therapist-model",
        "fake",
        "--seed",
        "4",
        "--no-progress",
    ]
    assert cli.main(argv) == 0
    assert completed_sessions(out, "risk-alex") == [1, 2]
    assert "theraloop evaluate" in capsys.readouterr().out
    assert cli.main(argv) == 0  # resumable: a second run finds everything done
    assert cli.main(["evaluate", str(out)]) == 0
    assert (out / "report.md").is_file() and (out / "plots" / "judge.png").is_file()


def test_evaluate_refuses_a_folder_without_runs(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path)]) == 2
    assert "theraloop simulate" in capsys.readouterr().err
