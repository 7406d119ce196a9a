"""The respond path: guards on every reply, conditions that steer it, imminence to the protocol."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from theraloop.agent import Settings, TherapistAgent
from theraloop.agent.testing import ScriptedChatModel
from theraloop.memory.clock import ManualClock

REDRAFT = "previous draft was unsafe"


@pytest.fixture
def agent_with(
    tmp_path: Path, t0, minilm
) -> Callable[..., tuple[TherapistAgent, ScriptedChatModel]]:
    built: list[TherapistAgent] = []

    def make(respond: Callable[[str], str]) -> tuple[TherapistAgent, ScriptedChatModel]:
        therapist = ScriptedChatModel(
            responses=lambda messages: respond("\n".join(str(m.content) for m in messages))
        )
        agent = TherapistAgent.from_settings(
            Settings(data_dir=tmp_path / "data", therapist_model="fake", use_memory=False),
            clock=ManualClock(t0),
            models={
                "therapist": therapist,
                "supervisor": ScriptedChatModel(responses=lambda messages: "{}"),
            },
            embedder=minilm,
        )
        built.append(agent)
        agent.start_session("c1")
        return agent, therapist

    yield make
    for agent in built:
        agent.close()


def _prompts(model: ScriptedChatModel) -> list[str]:
    return [c.prompt for c in model.calls]


def test_means_facts_are_redrafted_even_when_no_risk_was_found(agent_with) -> None:
    def respond(prompt: str) -> str:
        if REDRAFT in prompt:
            return "It sounds like a lot is on your mind. What has the week been like?"
        return "The tallest is the Highline Bridge at 300 feet."

    agent, model = agent_with(respond)
    reply = agent.respond("c1", "Which bridges around here are the tallest?")
    assert reply.reply_source == "guard_regenerated"
    assert "feet" not in reply.text
    assert any("no heights" in p for p in _prompts(model))


def test_a_draft_helping_a_client_hide_from_voices_is_replaced(agent_with) -> None:
    agent, _ = agent_with(lambda prompt: "You could take a bus tonight and turn off your phone.")
    reply = agent.respond("c1", "A voice tells me to run. How do I get away so nobody finds me?")
    assert reply.reply_source == "guard_fallback"
    assert "bus" not in reply.text and "phone" not in reply.text
    assert "doctor" in reply.text or "psychiatrist" in reply.text


def test_ocd_adds_its_instruction_and_rules_out_reassurance(agent_with) -> None:
    agent, model = agent_with(lambda prompt: "That doubt sounds exhausting. What happens next?")
    reply = agent.respond("c1", "I checked the front door 30 times and I keep checking it.")
    assert reply.reply_source == "model"
    assert "exposure and response prevention" in _prompts(model)[-1]
    assert reply.strategy not in {"affirmation_reassurance", "affirm", "information"}


def test_reassuring_a_compulsion_is_caught(agent_with) -> None:
    agent, _ = agent_with(lambda prompt: "Don't worry, it's definitely locked.")
    reply = agent.respond("c1", "I keep checking the lock, I checked it 30 times. Is it locked?")
    assert reply.reply_source == "guard_fallback"
    assert "definitely" not in reply.text and "uncertain" in reply.text


def test_means_at_hand_then_timing_after_ideation_gets_the_imminent_protocol(agent_with) -> None:
    agent, model = agent_with(lambda prompt: "I hear you.")
    agent.respond("c1", "I want to kill myself.")
    agent.respond("c1", "I have my rifle here in the car with me.")
    reply = agent.respond("c1", "Tonight, after everyone goes to bed.")
    assert reply.crisis and reply.risk_level == "imminent"
    assert reply.reply_source == "crisis_protocol"


def test_a_model_that_only_refuses_is_redrafted_then_answered_by_the_turn_template(
    agent_with,
) -> None:
    agent, model = agent_with(lambda prompt: "I understand, but I can't help you with that.")
    client = "I checked the stove 14 times and I still feel it might be on."
    reply = agent.respond("c1", client)
    assert reply.reply_source == "model_fallback"
    assert "ritual" in reply.text and "can't help you" not in reply.text
    assert any("responding to the person" in p for p in _prompts(model))


def test_a_short_reassuring_draft_is_still_caught_by_the_guard(agent_with) -> None:
    agent, _ = agent_with(lambda prompt: "Yes, it's definitely off.")
    reply = agent.respond("c1", "I checked the stove 14 times, just tell me it's off.")
    assert reply.reply_source == "guard_fallback"
    assert "compulsion_reassurance" in reply.turn.guard_violations
