"""Hybrid retrieval with the real MiniLM model: meaning, words and forgetting together."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def store(make_ephemeral_store, minilm):
    return make_ephemeral_store(embedder=minilm)


def test_meaning_finds_a_memory_without_shared_words(store):
    store.add_many(
        "ana",
        [
            {"text": "Exams make me so nervous I can't eat."},
            {"text": "We repainted the kitchen yellow."},
            {"text": "My brother visited on Sunday."},
        ],
    )
    assert store.search("ana", "test anxiety", k=1)[0].item.text.startswith("Exams")


def test_a_rare_name_is_found_by_lexical_matching(store):
    store.add_many(
        "ana",
        [
            {"text": "Talked with Oksana about the move."},
            {"text": "Talked with my friend about the move."},
            {"text": "Talked with my neighbour about the noise."},
        ],
    )
    top = store.search("ana", "what did Oksana say?", k=1)[0]
    assert top.item.text.startswith("Talked with Oksana") and top.lexical == 1.0


def test_context_makes_a_short_answer_findable(store):
    store.add("ana", "Yes, every single night.", context="Do you still wake up at 4 am?")
    store.add("ana", "Yes, I love my job.", context="Do you like teaching?")
    top = store.search("ana", "waking up early in the night", k=1)[0]
    assert top.item.text == "Yes, every single night."


def test_decay_breaks_ties_toward_recent_memories(store, clock):
    store.add("ana", "My father's illness worries me.")
    clock.advance(timedelta(days=30))
    recent = store.add("ana", "My father's illness worries me a lot.")
    assert store.search("ana", "father illness", k=1)[0].item.id == recent.id
