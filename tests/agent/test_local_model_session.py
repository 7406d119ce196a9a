"""A real session on the embedded default model (slow: llama.cpp, the 1.5B Qwen weights).

One conversation is scripted on the client side; the therapist side is the real local model.
A child process holds the session and is SIGKILLed in the middle of a turn; a new agent on the
same data directory must pick the session up where it stopped and finish it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from theraloop.agent import Settings, TherapistAgent

pytestmark = pytest.mark.slow

SEVEN_NODES = {
    "perceive",
    "assess_risk",
    "recall",
    "read_reaction",
    "choose_strategy",
    "respond",
    "remember",
}
CLIENT = [
    "I haven't been sleeping since I lost my job last month.",
    "Every morning I wake up at four and my head races about money.",
    "My wife says I should just apply anywhere, but I feel like a failure.",
]

CHILD = textwrap.dedent(
    """
    import sys
    from theraloop.agent import Settings, TherapistAgent
    agent = TherapistAgent.from_settings(Settings(data_dir=sys.argv[1], seed=7))
    agent.start_session("dan")
    for text in sys.argv[2:4]:
        agent.respond("dan", text)
    print("two turns done", flush=True)
    agent.respond("dan", sys.argv[4])
    print("third turn done", flush=True)
    """
)


def test_a_killed_local_model_session_resumes_and_every_turn_shows_the_seven_nodes(tmp_path: Path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), *CLIENT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "two turns done"
    time.sleep(3)  # inside the third turn: the local model needs longer than this to reply
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    with TherapistAgent.from_settings(Settings(data_dir=tmp_path, seed=7)) as agent:
        info = agent.start_session("dan")
        assert info.resumed and info.session_number == 1
        assert info.turns_so_far == 3  # the interrupted turn was finished from its checkpoint
        reply = agent.respond("dan", "I guess I could call my old manager about references.")
        assert reply.turn_index == 4 and reply.text.strip()
        traces = agent.traces("dan")
        assert [t["turn_index"] for t in traces] == [1, 2, 3, 4]
        for trace in traces:
            assert set(trace["latency_ms"]) >= SEVEN_NODES, trace["trace_id"]
        turns = agent.export_client("dan")["conversations"]["dan-s001"]
        assert [t["client_text"] for t in turns[:3]] == CLIENT
        assert all(t["reply_source"] in {"model", "guard_regenerated"} for t in turns)
        review = agent.end_session("dan")
        assert review.summary.text.strip() and review.plan_version == 2
