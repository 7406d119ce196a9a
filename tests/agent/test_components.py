"""The facade's seams: the typed parts it is built from, and the reply it hands back."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from theraloop.agent import Components, Settings, TherapistAgent
from theraloop.agent._wiring import build_components
from theraloop.agent.testing import ScriptedChatModel

REPLY = "That sounds really hard. What feels heaviest right now?"


@pytest.fixture
def parts(tmp_path, clock, minilm) -> Components:
    therapist = ScriptedChatModel(responses=lambda messages: REPLY)
    settings = Settings(data_dir=tmp_path / "data", therapist_model="fake")
    return build_components(settings, clock=clock, models={"therapist": therapist}, embedder=minilm)


def test_components_cannot_be_changed_once_built(parts):
    with pytest.raises(FrozenInstanceError):
        parts.memory = None  # type: ignore[misc]


def test_without_a_supervisor_model_the_therapist_model_writes_the_reviews(parts, clock):
    agent = TherapistAgent(replace(parts, supervisor_model=None), clock=clock)
    with agent:
        assert agent.supervisor_model is parts.therapist_model


def test_closing_the_agent_releases_its_components_resources(parts, clock):
    released: list[str] = []
    parts.resources.callback(released.append, "released")
    agent = TherapistAgent(parts, clock=clock)
    assert released == []
    agent.close()
    assert released == ["released"]


def test_a_reply_is_a_view_of_the_turn_the_session_recorded(make_agent):
    agent = make_agent()
    agent.start_session("alice")
    reply = agent.respond("alice", "I can't sleep since the move.")
    recorded = agent.export_client("alice")["conversations"]["alice-s001"][-1]
    assert reply.turn.model_dump(mode="json") == recorded
    dumped = reply.model_dump(mode="json")
    assert "turn" not in dumped  # the dump keeps the flat shape traces and reports read
    assert (dumped["text"], dumped["risk_level"], dumped["reply_source"]) == (
        recorded["reply"],
        recorded["risk_level"],
        recorded["reply_source"],
    )
