"""The client portrait holds each fact's current value, and the turn's prompt shows it."""

from __future__ import annotations

from datetime import timedelta

from langchain_core.messages import BaseMessage

from theraloop.memory import ManualClock


def _say(agent, clock: ManualClock, *lines: str) -> None:  # noqa: ANN001
    agent.start_session("ana")
    for line in lines:
        clock.advance(timedelta(minutes=2))
        agent.respond("ana", line)
    agent.end_session("ana")
    clock.advance(timedelta(days=7))


def test_the_portrait_keeps_the_newest_value_of_a_changed_fact(
    make_agent,  # noqa: ANN001
    clock: ManualClock,
) -> None:
    agent = make_agent()
    _say(agent, clock, "I live in a small flat in Leeds.")
    _say(agent, clock, "I've moved to Bristol, near the harbour.")
    facts = agent.records.portrait("ana").facts
    assert [(f.key, f.text) for f in facts] == [
        ("residence", "I've moved to Bristol, near the harbour.")
    ]


def test_a_forgotten_fact_leaves_the_portrait(make_agent, clock: ManualClock) -> None:  # noqa: ANN001
    agent = make_agent()
    _say(agent, clock, "My sister is called Priya.", "I live in Leeds.")
    _say(agent, clock, "Please forget what I told you about Priya.")
    assert [f.key for f in agent.records.portrait("ana").facts] == ["residence"]


def test_the_turn_prompt_shows_the_current_fact_and_not_the_old_one(
    make_agent,  # noqa: ANN001
    clock: ManualClock,
) -> None:
    prompts: list[str] = []

    def therapist(messages: list[BaseMessage]) -> str:
        prompts.append(str(messages[0].content))
        return "That sounds really hard. What feels heaviest right now?"

    agent = make_agent(therapist=therapist)
    _say(agent, clock, "I live in a small flat in Leeds.")
    _say(agent, clock, "I've moved to Bristol, near the harbour.")
    prompts.clear()
    agent.start_session("ana")
    agent.respond("ana", "Money is tight this month.")
    turn_prompt = prompts[-1]
    assert "Bristol" in turn_prompt and "Leeds" not in turn_prompt
