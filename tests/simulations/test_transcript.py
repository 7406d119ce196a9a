"""The live transcript follows a run's traces and prints each record once, as it lands."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from theraloop.simulations.transcript import TranscriptFollower, format_record

START = {
    "type": "session_start",
    "client_id": "maya",
    "session": 1,
    "at": "2026-01-05T09:00:00",
    "opening": "Hello, what brings you here?",
}
TURN = {
    "type": "turn",
    "client_id": "maya",
    "session": 1,
    "turn": 1,
    "client_text": "I can't sleep [at all].",
    "therapist": {
        "text": "That sounds exhausting.",
        "emotion": "sadness",
        "intensity": 4,
        "risk_level": "none",
        "strategy": "reflection_of_feelings",
        "recalled": [{"text": "a memory"}],
    },
}
END = {
    "type": "session_end",
    "client_id": "maya",
    "session": 1,
    "review": {
        "decision": "keep",
        "modality_before": "person_centred",
        "modality_after": "person_centred",
        "reason": "first measured session",
    },
}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    (tmp_path / "traces").mkdir()
    return tmp_path


def _follower(run: Path) -> tuple[TranscriptFollower, io.StringIO]:
    out = io.StringIO()
    return TranscriptFollower(run, console=Console(file=out, width=200)), out


def _append(run: Path, data: bytes) -> None:
    with (run / "traces" / "maya.jsonl").open("ab") as handle:
        handle.write(data)


def test_a_turn_shows_both_lines_and_what_the_turn_decided() -> None:
    lines = format_record(TURN)
    assert "I can't sleep \\[at all]." in lines[0]  # client words are escaped, not markup
    assert "That sounds exhausting." in lines[1]
    assert "emotion sadness 4/5 · risk none · strategy reflection_of_feelings" in lines[2]
    assert "recalled 1 memory" in lines[2]


def test_a_session_end_shows_the_review_decision_and_reason() -> None:
    text = " ".join(format_record(END))
    assert "keep" in text and "first measured session" in text


def test_each_record_is_printed_once_as_it_lands(run: Path) -> None:
    follower, out = _follower(run)
    _append(run, (json.dumps(START) + "\n").encode())
    assert follower.poll() == 1
    line = (json.dumps(TURN) + "\n").encode()
    _append(run, line[:40])  # caught mid-write: waits for the rest
    assert follower.poll() == 0
    _append(run, line[40:] + (json.dumps(END) + "\n").encode())
    assert follower.poll() == 2
    assert follower.poll() == 0
    assert out.getvalue().count("client:") == 1


def test_records_written_before_the_follower_started_are_not_repeated(run: Path) -> None:
    _append(run, (json.dumps(START) + "\n" + json.dumps(TURN) + "\n").encode())
    follower, out = _follower(run)
    follower.skip_existing()
    _append(run, (json.dumps(END) + "\n").encode())
    assert follower.poll() == 1
    assert "client:" not in out.getvalue()


def test_a_line_that_does_not_parse_is_retried_until_the_final_poll(run: Path) -> None:
    follower, _ = _follower(run)
    _append(run, b"{not json\n" + (json.dumps(TURN) + "\n").encode())
    assert follower.poll() == 0
    assert follower.poll(final=True) == 2


def test_lines_reach_stdout_while_a_model_load_silences_file_descriptor_one(run: Path) -> None:
    # llama-cpp-python points fds 1 and 2 at /dev/null while it loads a model
    _append(run, (json.dumps(TURN) + "\n").encode())
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from theraloop.simulations.transcript import TranscriptFollower\n"
        f"follower = TranscriptFollower(Path({str(run)!r}))\n"
        "saved = os.dup(1)\n"
        "os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
        "follower.poll()\n"
        "os.dup2(saved, 1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "That sounds exhausting." in done.stdout
