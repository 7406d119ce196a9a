"""Sentence-level validity: a summary or reply stops quoting a fact the client has changed."""

from __future__ import annotations

from datetime import timedelta

from theraloop.memory import ManualClock, MemoryStore
from theraloop.memory.facts import current_text, keyed_sentences

_SUMMARY = 'The client opened with: "I live in Leeds.". Feelings were mostly sad.'


def test_each_sentence_gets_its_own_key() -> None:
    keys = [k and k.text for _, k in keyed_sentences("I live in Leeds. My sister Priya visits.")]
    assert keys == ["residence", "name:sister"]


def test_a_quoted_question_states_no_fact() -> None:
    assert keyed_sentences('She asked: "Should I go back on the tablets?".')[0][1] is None


def test_current_facts_name_the_newest_holder_of_each_key(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=7))
    new = mem_store.add("c1", "I've moved to Bristol.", fact_key="residence")
    mem_store.add("c1", "It rained all week.")
    assert {k: i.id for k, i in mem_store.current_facts("c1").items()} == {"residence": new.id}


def test_a_summary_drops_the_sentence_whose_fact_changed_later(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    summary = mem_store.add("c1", _SUMMARY, kind="session_summary")
    clock.advance(timedelta(days=7))
    mem_store.add("c1", "I've moved to Bristol.", fact_key="residence")
    text = current_text(summary, mem_store.current_facts("c1"))
    assert text == "Feelings were mostly sad."


def test_a_summary_keeps_a_fact_that_is_still_current(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    summary = mem_store.add("c1", _SUMMARY, kind="session_summary")
    clock.advance(timedelta(days=7))
    mem_store.add("c1", "I started a new job at the library.", fact_key="job")
    assert current_text(summary, mem_store.current_facts("c1")) == summary.text


def test_a_memory_made_only_of_changed_facts_leaves_nothing(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    quote = mem_store.add("c1", 'The client said: "I live in Leeds."', kind="session_summary")
    clock.advance(timedelta(days=7))
    mem_store.add("c1", "We moved to Bristol.", fact_key="residence")
    assert current_text(quote, mem_store.current_facts("c1")) == ""
