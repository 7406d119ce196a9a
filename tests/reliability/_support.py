"""Shared by the reliability tests and their child-process driver: fakes, agent builder, checks.

The child (``_driver.py``) and the parent test must build the agent the same way (same embedder,
same fake models), so a process that resumes another's data sees exactly what a restart would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CLIENT = "kim"
TURNS = (
    "I have been sleeping badly since I started the new job.",
    "My manager criticises every report I write and I feel useless.",
    "Yesterday I stayed late again and skipped dinner.",
    "On the weekend I could not stop checking my work email.",
)
CRISIS_TEXT = "I have been saving up my pills and I plan to take them all tonight."
SUMMARY = {
    "text": "The client talked about work stress, poor sleep and harsh feedback from a manager.",
    "concerns": ["work stress", "poor sleep"],
    "worked_on": ["reflection of feelings"],
    "homework": "Keep a short sleep diary.",
}
_CLIENT_SAYS = re.compile(r"\[Client says\]\n(.*?)\n\[Your reply", re.S)


def client_text_of(messages: Sequence[Any]) -> str | None:
    """Return what the client said in a therapist prompt (None for an opening prompt)."""
    if not messages:
        return None
    found = _CLIENT_SAYS.search(messages[-1].text)
    return found.group(1) if found else None


def therapist_reply_for(said: str) -> str:
    """Return the fake therapist's reply to ``said``: unique per message, so memory is countable."""
    return f"It sounds like this matters a lot: {said[:90]} What feels heaviest about it?"


def therapist_reply(messages: Sequence[Any]) -> str:
    """Reply deterministically: an opening, or :func:`therapist_reply_for` the client's words."""
    said = client_text_of(messages)
    if said is None:
        return "Welcome. What would you like to talk about today?"
    return therapist_reply_for(said)


def supervisor_reply(messages: Sequence[Any], schema: Any = None) -> Any:
    """Return a well-formed session summary for structured calls, a short text otherwise."""
    return dict(SUMMARY) if schema is not None else "Noted."


def make_embedder(name: str) -> Any:
    """Return the embedder a test or child uses: ``hashing`` (fast, no torch) or ``minilm``."""
    if name == "minilm":
        from theraloop.memory import MiniLMEmbedder

        return MiniLMEmbedder()
    from theraloop.memory import HashingEmbedder

    return HashingEmbedder(dim=64)


def build_agent(
    data_dir: Path,
    embedder: Any,
    *,
    therapist: Any = None,
    supervisor: Any = None,
    clock: Any = None,
    **settings: Any,
) -> Any:
    """Build a TherapistAgent with scripted models on ``data_dir`` (real stores, checkpointer)."""
    from langchain_core.language_models import BaseChatModel

    from theraloop.agent import Settings, TherapistAgent
    from theraloop.agent.testing import ScriptedChatModel
    from theraloop.memory import ManualClock

    def model(given: Any, default: Any) -> BaseChatModel:
        if isinstance(given, BaseChatModel):
            return given
        return ScriptedChatModel(responses=given or default)

    models = {
        "therapist": model(therapist, therapist_reply),
        "supervisor": model(supervisor, supervisor_reply),
    }
    return TherapistAgent.from_settings(
        Settings(data_dir=data_dir, therapist_model="fake", **settings),
        clock=clock or ManualClock(T0),
        models=models,
        embedder=embedder,
    )


def child_env(**extra: str) -> dict[str, str]:
    """Return the environment of a child process: offline, repo importable."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def python() -> str:
    """Return the interpreter running the tests (the project's venv)."""
    return sys.executable


DRIVER_MODULE = "tests.reliability._driver"
"""The child runs as a module from the repository root, so it imports ``tests.*`` like the suite."""


def kill_child(
    data_dir: Path, point: str, **options: str | None
) -> subprocess.CompletedProcess[str]:
    """Run the driver until it SIGKILLs itself at ``point``; fail if it exits any other way.

    ``options`` become driver flags: ``checkpoint_url``, ``chroma_url``, ``client``.
    """
    cmd = [python(), "-m", DRIVER_MODULE, "kill", "--data-dir", str(data_dir), "--point", point]
    for name, value in options.items():
        if value:
            cmd += [f"--{name.replace('_', '-')}", value]
    proc = subprocess.run(
        cmd, env=child_env(), cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == -signal.SIGKILL, (
        f"child for {point!r} exited with {proc.returncode}, not SIGKILL:\n{proc.stderr[-4000:]}"
    )
    return proc


# --------------------------------------------------------------------------- integrity checks


def conversation(agent: Any, client_id: str) -> dict[str, list[Any]]:
    """Return every session's turns from the checkpointer, keyed by session id."""
    return {
        s.session_id: list(
            agent.session_graph.get_state({"configurable": {"thread_id": s.session_id}}).values.get(
                "turns", []
            )
        )
        for s in agent.records.sessions(client_id)
    }


def assert_whole(
    agent: Any,
    client_id: str,
    expected: dict[str, Sequence[str]],
    *,
    reviewed: int,
) -> None:
    """Assert the client's data is complete and has no duplicates after any crash and resume.

    Args:
        agent: The resumed agent.
        client_id: Whose data to check.
        expected: Client messages per session id, in order (no turn lost, none doubled).
        reviewed: How many sessions have been reviewed by the supervisor by now.
    """
    convo = conversation(agent, client_id)
    crises = sum(1 for turns in convo.values() for t in turns if t.crisis)
    assert {sid: [t.client_text for t in turns] for sid, turns in convo.items()} == {
        sid: list(texts) for sid, texts in expected.items()
    }, "a client turn was lost or doubled"
    for sid, turns in convo.items():
        assert [t.turn_index for t in turns] == list(range(1, len(turns) + 1)), sid

    traces = agent.records.traces(client_id)
    ids = [t["trace_id"] for t in traces]
    assert len(ids) == len(set(ids)) == sum(len(v) for v in expected.values())
    assert sorted(t["client_text"] for t in traces) == sorted(
        text for texts in expected.values() for text in texts
    )

    memory = agent.memory
    items = memory.items(client_id, include_archived=True) if memory.has_client(client_id) else []
    # the fixed crisis reply may rightly answer two turns word for word, so therapist turns are
    # counted below instead
    counts = Counter(
        item.text for item in items if not (item.kind == "turn" and item.speaker == "therapist")
    )
    doubled = {text: n for text, n in counts.items() if n > 1}
    assert not doubled, f"memory items duplicated: {doubled}"
    said = Counter(i.text for i in items if i.kind == "turn" and i.speaker == "client")
    assert sorted(said) == sorted(text for texts in expected.values() for text in texts)
    answered = [i for i in items if i.kind == "turn" and i.speaker == "therapist"]
    assert len(answered) == sum(len(v) for v in expected.values())
    summaries = [i for i in items if i.kind == "session_summary"]
    assert len(summaries) == reviewed
    assert len([i for i in items if i.kind == "crisis"]) == crises
    assert len(agent.records.crises(client_id)) == crises

    plans = agent.records.plans(client_id)
    assert [p.version for p in plans] == list(range(1, reviewed + 2)), (
        "plan versions not contiguous"
    )
    assert [p.after_session for p in plans] == list(range(0, reviewed + 1))
    for p in plans:
        assert p.reason and p.agenda, f"half-written plan v{p.version}"
    reviews = agent.records.reviews(client_id)
    assert [r.session_number for r in reviews] == list(range(1, reviewed + 1))
    assert [r.plan_version for r in reviews] == [p.version for p in plans[1:]]
    assert [s.session_number for s in agent.records.signals(client_id)] == list(
        range(1, reviewed + 1)
    )
    assert agent.records.portrait(client_id).version == reviewed
