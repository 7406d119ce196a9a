"""The opening said when the model gives none (theraloop.agent.openings.fallback_opening)."""

from __future__ import annotations

from datetime import timedelta

from theraloop.agent.openings import fallback_opening
from theraloop.agent.records import SessionSummary


def test_a_first_session_opens_with_a_plain_greeting():
    assert fallback_opening(None).startswith("Hello, I'm glad you're here.")


def test_the_bridge_names_topics_and_asks_about_the_homework():
    summary = SessionSummary(
        text="...", worked_on=("Worked on sleep hygiene",), homework="Log two walks."
    )
    assert fallback_opening(summary) == (
        "Welcome back. Last time we talked about sleep hygiene. How did it go with log two walks?"
    )


def test_the_fallback_opening_skips_summary_topics_unfit_to_say_to_the_client():
    junk = SessionSummary(
        text="The client discussed work.",
        worked_on=("Helping the client understand feelings",),
        concerns=(
            "none",
            "Client: I understand the anxiety, Leo.",
            "Sleep problems",
            "work stress",
        ),
    )
    assert fallback_opening(junk) == (
        "Welcome back. Last time we talked about sleep problems and work stress. "
        "How have things been since then?"
    )
    assert fallback_opening(SessionSummary(text="...", worked_on=("none",))) == (
        "Welcome back. How have things been since then?"
    )


def test_the_bridge_never_shows_perceived_labels_or_strategy_ids():
    summary = SessionSummary(
        text="...",
        concerns=("depression", "sleep"),
        worked_on=("question", "reflection of feelings"),
    )
    opening = fallback_opening(summary)
    assert "depression" not in opening and "question" not in opening
    assert "reflection" not in opening
    assert (
        opening == "Welcome back. Last time we talked about sleep. How have things been since then?"
    )


def test_a_fallback_opening_never_repeats_the_last_sessions_opening_word_for_word():
    said = fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work")))
    again = fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work")), [said])
    assert said.startswith("Welcome back. Last time we talked about sleep and work.")
    assert again != said


def test_sessions_opened_by_the_fallback_open_differently(make_agent, clock):
    def therapist(messages):
        if "Write the counselor's opening" in str(messages[-1].content):
            raise RuntimeError("model down")
        return "Thank you for telling me. What stands out most about this week?"

    agent = make_agent(therapist=therapist, model_retries=0)
    openings = []
    for _ in range(3):
        openings.append(agent.start_session("alice").opening)
        agent.respond("alice", "I slept badly again and work was hard.")
        agent.end_session("alice")
        clock.advance(timedelta(days=7))
    assert len(set(openings[1:])) == 2
