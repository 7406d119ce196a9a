"""Agent fixtures: real stores, checkpointer, perception and safety; only the chat model is fake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from theraloop.agent import Settings, TherapistAgent
from theraloop.agent.testing import ScriptedChatModel
from theraloop.memory import ManualClock


def echo_therapist(messages) -> str:  # noqa: ANN001
    """A fake therapist that answers in a fixed, recognisable way."""
    return "That sounds really hard. What feels heaviest right now?"


@pytest.fixture
def clock(t0) -> ManualClock:
    return ManualClock(t0)


@pytest.fixture
def make_agent(tmp_path: Path, clock: ManualClock, minilm) -> Callable[..., TherapistAgent]:
    """Build agents on one data dir (a second call = a process restart on the same data)."""
    built: list[TherapistAgent] = []

    def make(
        therapist: Callable | list | None = None,
        supervisor: Callable | list | None = None,
        data_dir: Path | None = None,
        **settings,
    ) -> TherapistAgent:
        models = {
            "therapist": ScriptedChatModel(responses=therapist or echo_therapist),
            "supervisor": ScriptedChatModel(responses=supervisor or (lambda messages: "{}")),
        }
        agent = TherapistAgent.from_settings(
            Settings(data_dir=data_dir or tmp_path / "data", therapist_model="fake", **settings),
            clock=clock,
            models=models,
            embedder=minilm,
        )
        built.append(agent)
        return agent

    yield make
    for agent in built:
        agent.close()
