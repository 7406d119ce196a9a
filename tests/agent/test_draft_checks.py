"""What makes a drafted reply unfit to send (theraloop.agent.prompts.draft_problem)."""

from __future__ import annotations

import pytest

from theraloop.agent.prompts import draft_problem

EARLIER = [
    "It sounds like you're feeling very down. Can you tell me more about what's making you feel "
    "this way?",
    "I understand. It's important to take care of yourself and your time.",
]


@pytest.mark.parametrize(
    "draft",
    [
        "That sounds exhausting. What helped, even a little, last week?",
        "You said the client meeting went badly; what happened there?",
        "Can you tell me more?",  # short stock phrases may recur
        "See point [2] of your plan: the walk after lunch.",
    ],
)
def test_a_fresh_reply_to_the_client_passes(draft):
    assert draft_problem(draft, EARLIER) is None


@pytest.mark.parametrize(
    ("draft", "kind"),
    [
        ("", "empty"),
        ("Welcome back, [client's name].", "placeholder"),
        ("I hear you [sighs]. Go on.", "placeholder"),
        ("The client mentioned feeling ashamed at intensity 4/5.", "narration"),
        ("Client seems anxious (intensity 3/5) and engaged.", "narration"),
        ("Per the counselor notes, let's reflect.", "narration"),
        ("I understand the client's concern about feeling dirty.", "narration"),
        ("It sounds like the client is trying to avoid the thought.", "narration"),
        ("Okay. It's important to take care of yourself and your time.", "repetition"),
        ("It sounds like you're feeling very down. What happened today?", "repetition"),
    ],
)
def test_each_kind_of_unfit_draft_is_named(draft, kind):
    problem = draft_problem(draft, EARLIER)
    assert (problem.kind if problem else None) == kind


def test_only_a_repeat_is_soft_and_every_problem_says_how_to_fix_it():
    repeat = draft_problem("Okay. It's important to take care of yourself and your time.", EARLIER)
    narration = draft_problem("The client said she is tired.")
    assert repeat.soft and not narration.soft
    assert "You already said" in repeat.fix and "directly" in narration.fix


def test_without_recent_replies_nothing_counts_as_a_repeat():
    assert draft_problem(EARLIER[1]) is None


def test_a_short_reply_said_again_word_for_word_is_a_repeat():
    problem = draft_problem(
        "You're reflecting on your mistakes.", ["You're reflecting on your mistakes."]
    )
    assert problem is not None and problem.kind == "repetition"


def test_a_short_reply_inside_a_longer_earlier_one_is_not_a_whole_repeat():
    assert draft_problem("Can you tell me more?", ["I see. Can you tell me more?"]) is None


def test_a_draft_reciting_its_instructions_is_rejected():
    guidance = (
        "The client may be in a high-energy state. Reflect the energy warmly, say you are a "
        "little concerned, ask about sleep."
    )
    draft = "You sound full of ideas! Reflect the energy warmly, say you are a little concerned."
    assert draft_problem(draft, [], guidance).kind == "instructions"


def test_a_draft_that_follows_its_instructions_in_its_own_words_passes():
    guidance = "Reflect the energy warmly, say you are a little concerned, ask about sleep."
    draft = "You sound so full of plans! I'm a little worried, though. How have you been sleeping?"
    assert draft_problem(draft, [], guidance) is None


@pytest.mark.parametrize(
    "draft",
    [
        "I understand the question, but I can't answer it.",
        "I understand your concern, but I can't provide a rating for your plan.",
        "I understand your concern.",
    ],
)
def test_a_flat_refusal_or_bare_acknowledgement_is_unengaged(draft):
    problem = draft_problem(draft, engaged=True)
    assert problem is not None and problem.kind == "unengaged" and problem.soft


@pytest.mark.parametrize(
    "draft",
    [
        "I can't share that. What has been weighing on you since the job went?",
        "That sounds like a really heavy week, and I'm glad you told me about it.",
    ],
)
def test_a_refusal_that_turns_to_the_client_or_a_full_reflection_is_engaged(draft):
    assert draft_problem(draft, engaged=True) is None


def test_engagement_is_checked_only_on_whole_replies():
    assert draft_problem("I understand your concern.") is None


ASKED = (
    "Tonight I'll keep him awake and pray over him, no food at all. How many nights will it take?"
)


def test_a_draft_handing_the_clients_question_back_is_an_echo():
    draft = "You'll keep him awake and pray over him, no food at all. How many nights will it take?"
    assert draft_problem(draft, client=ASKED).kind == "echo"


def test_a_close_reflection_of_a_statement_is_not_an_echo():
    told = "Every morning I wake up at four and my head races about money."
    draft = (
        "Every morning you wake up at four and your head races about money. What goes through it?"
    )
    assert draft_problem(draft, client=told) is None


def test_a_reply_in_the_counselors_own_words_to_a_question_is_not_an_echo():
    draft = (
        "I'm worried for him and for you. He needs food and sleep; who else is with you tonight?"
    )
    assert draft_problem(draft, client=ASKED) is None
