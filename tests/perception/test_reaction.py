from __future__ import annotations

import pytest

from tests.perception.perception_cases import REACTIONS as LABELLED_REACTIONS
from theraloop.agent._perception_examples import REACTION_EXAMPLES
from theraloop.agent.perception import ReactionReader, ReactionReading, read_reaction
from theraloop.memory.errors import InvalidInputError
from theraloop.strategies import REACTIONS


def test_every_reaction_class_has_written_prototypes():
    assert set(REACTION_EXAMPLES) == set(REACTIONS)
    assert all(len(examples) >= 10 for examples in REACTION_EXAMPLES.values())


def test_test_reactions_are_not_among_the_prototypes():
    prototypes = {text for examples in REACTION_EXAMPLES.values() for text in examples}
    assert not prototypes & {text for text, _, _ in LABELLED_REACTIONS}


@pytest.mark.parametrize(("text", "context", "label"), LABELLED_REACTIONS)
def test_reaction_is_read_from_the_message_and_the_recent_turns(minilm, text, context, label):
    reading = read_reaction(text, context, embedder=minilm)
    assert isinstance(reading, ReactionReading)
    assert reading.label == label, reading.evidence


def test_phrase_patterns_alone_catch_most_reactions_without_an_embedder():
    # Measured when written: 17/20 with the patterns only (off-topic needs similarity).
    hits = sum(read_reaction(t, c).label == label for t, c, label in LABELLED_REACTIONS)
    assert hits >= 15


def test_evidence_names_the_matched_phrase_and_the_topical_similarity(minilm):
    reading = read_reaction(
        "That's easy for you to say.", ["I can't sleep.", "Try a warm bath."], embedder=minilm
    )
    assert reading.label == "resistant"
    assert any("easy for you to say" in e for e in reading.evidence)
    assert any(e.startswith("topical similarity") for e in reading.evidence)


def test_a_message_that_stays_on_topic_is_not_off_topic_even_if_casual(minilm):
    context = ["My dog died last week.", "I'm so sorry. What was he like?"]
    reading = read_reaction(
        "He loved chasing balls in the park, he was a goofy dog.", context, embedder=minilm
    )
    assert reading.label == "engaged"


def test_the_same_message_drifts_off_topic_against_an_unrelated_conversation(minilm):
    text = "I saw a goofy dog chasing balls in the park today."
    on = read_reaction(text, ["My dog died last week.", "What was he like?"], embedder=minilm)
    off = read_reaction(
        text, ["I failed my tax exam.", "How are you coping at work?"], embedder=minilm
    )
    assert on.label != "off_topic"
    assert off.label == "off_topic"


def test_confidence_is_a_probability(minilm):
    reading = read_reaction("Maybe, I don't know.", embedder=minilm)
    assert 0.0 <= reading.confidence <= 1.0


def test_reader_reuses_its_prototypes_across_calls(minilm):
    reader = ReactionReader(minilm)
    first = reader.read("I'll try that tonight.")
    assert reader.read("I'll try that tonight.") == first


def test_empty_message_is_refused(minilm):
    with pytest.raises(InvalidInputError):
        read_reaction("", embedder=minilm)
