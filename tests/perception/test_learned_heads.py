from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

from theraloop.agent.perception import PrototypePerceiver
from theraloop.agent.perception_heads import (
    HEADS_SHA256,
    LearnedPerceiver,
    PerceptionHeads,
    default_perceiver,
    head_features,
)
from theraloop.memory import HashingEmbedder
from theraloop.memory.errors import InvalidInputError
from theraloop.strategies import emotion_family


@pytest.fixture(scope="module")
def learned(minilm):
    return LearnedPerceiver(minilm)


def test_shipped_parameter_file_is_the_one_the_card_names():
    data = resources.files("theraloop.agent").joinpath("models/perception_heads.npz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HEADS_SHA256
    card = resources.files("theraloop.agent").joinpath("models/perception_heads.md").read_text()
    assert HEADS_SHA256 in card


@pytest.mark.parametrize(
    ("text", "family"),
    [
        (
            "I can't stop worrying that I'll fail the exam and lose my place at university.",
            "anxious",
        ),
        ("My husband cheated on me and I am furious, I want to scream at him.", "hostile"),
        ("I feel empty and hopeless, nothing matters anymore and I can't get out of bed.", "low"),
    ],
)
def test_clear_messages_are_read_in_their_emotion_family(learned, text, family):
    reading = learned.perceive(text)
    assert reading.method == "learned"
    assert emotion_family(reading.label) == family


def test_a_happy_message_keeps_the_prototype_joy_reading(learned):
    reading = learned.perceive("I got the job! I'm so happy and relieved today.")
    assert (reading.label, reading.method) == ("joy", "prototype")


def test_a_greeting_with_nothing_before_it_reads_neutral(learned):
    assert learned.perceive("Hello, how are you?").label == "neutral"


def test_a_factual_message_after_emotional_ones_is_read_by_the_heads(learned):
    context = ["I can't stop worrying about money, I lie awake every night panicking."]
    reading = learned.perceive("I work at a bank.", context)
    assert reading.method == "learned"
    assert reading.label != "neutral"


def test_intensity_is_clipped_to_the_one_to_five_scale():
    width = head_features(np.zeros(384), []).shape[0]
    heads = PerceptionHeads(
        emotion_coef=np.zeros((2, width)),
        emotion_intercept=np.zeros(2),
        emotion_labels=("anxiety", "sadness"),
        intensity_coef=np.ones(width),
        intensity_intercept=0.0,
    )
    assert heads.intensity(np.full(width, 10.0)) == 5
    assert heads.intensity(np.full(width, -10.0)) == 1


def test_heads_refuse_vectors_of_another_embedder():
    with pytest.raises(InvalidInputError, match="MiniLM"):
        LearnedPerceiver(HashingEmbedder())


def test_the_default_is_the_prototype_perceiver_without_minilm(minilm):
    assert isinstance(default_perceiver(HashingEmbedder()), PrototypePerceiver)
    assert isinstance(default_perceiver(minilm), LearnedPerceiver)
