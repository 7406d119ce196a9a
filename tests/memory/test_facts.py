"""Fact keys and forget requests: which statements supersede, which requests forget."""

from __future__ import annotations

import pytest

from theraloop.memory.facts import FactKey, fact_key, forget_request, redact


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("I live with my parents in Hull.", "residence"),
        ("We just moved to a flat in Glasgow.", "residence"),
        ("I work as a bus driver.", "job"),
        ("I lost my job on Friday.", "job"),
        ("The psychiatrist put me on citalopram.", "medication"),
        ("I stopped taking my meds last week.", "medication"),
        ("My brother is called Luca.", "name:brother"),
        ("My partner Sam cooks for me.", "name:partner"),
        ("My mum and I fell out at Christmas.", "relationship:mum"),
        ("Jo and I are talking again.", "relationship:jo"),
        ("I did the worry time every evening.", "homework:worry time"),
        ("I filled in two thought records.", "homework:thought record"),
        ("The weather was awful all week.", None),
    ],
)
def test_a_statement_about_a_changing_slot_gets_its_key(text: str, key: str | None) -> None:
    found = fact_key(text)
    assert (found.text if found else None) == key


def test_a_question_states_no_fact() -> None:
    assert fact_key("Should I go back on the sertraline?") is None


def test_a_later_declarative_sentence_is_keyed_after_a_question() -> None:
    assert fact_key("Guess what? I moved to Leeds.") == FactKey("residence")


def test_an_explicit_request_names_what_to_forget() -> None:
    request = forget_request("Could you please forget what I said about my ex?")
    assert request is not None and request.terms == ("ex",)


def test_a_request_topic_keeps_only_content_words() -> None:
    request = forget_request("Please forget everything I told you about the gambling debts.")
    assert request is not None and request.terms == ("gambl", "debt")


@pytest.mark.parametrize(
    "text",
    [
        "I want to forget about work for an hour.",
        "I keep forgetting my keys.",
        "Do you remember what I said about my dad?",
    ],
)
def test_wishes_and_questions_are_not_forget_requests(text: str) -> None:
    assert forget_request(text) is None


def test_redaction_replaces_every_inflection_of_the_terms() -> None:
    assert redact("Gambling, gambled, a gambler.", {"gambl"}) == (
        "[forgotten], [forgotten], a gambler."
    )
