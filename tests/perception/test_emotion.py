from __future__ import annotations

import pytest

from tests.perception.perception_cases import LABELLED
from theraloop.agent._perception_examples import EMOTION_EXAMPLES
from theraloop.agent.perception import (
    EMOTION_DESCRIPTIONS,
    EMOTIONS,
    EmotionReading,
    LLMPerceiver,
    PrototypePerceiver,
    estimate_intensity,
)
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel
from theraloop.memory.errors import InvalidInputError
from theraloop.strategies import emotion_family

# Measured on this set when it was written: 46/50 (0.92) exact, 0.92 family. The floor leaves
# room for numeric drift across CPUs and library versions, not for regressions.
MIN_ACCURACY = 0.85


def test_label_set_is_esconv_types_plus_joy_and_neutral_each_described():
    assert set(EMOTIONS) == {
        "anxiety",
        "fear",
        "depression",
        "sadness",
        "anger",
        "disgust",
        "shame",
        "guilt",
        "joy",
        "neutral",
    }
    assert set(EMOTION_DESCRIPTIONS) == set(EMOTIONS)


def test_every_label_has_at_least_fifteen_written_prototypes():
    assert set(EMOTION_EXAMPLES) == set(EMOTIONS)
    assert all(len(examples) >= 15 for examples in EMOTION_EXAMPLES.values())


def test_test_messages_are_not_among_the_prototypes():
    prototypes = {text for examples in EMOTION_EXAMPLES.values() for text in examples}
    assert not prototypes & {text for text, _ in LABELLED}


def test_prototype_perceiver_labels_the_handwritten_set_above_the_measured_floor(perceiver):
    hits = sum(perceiver.perceive(text).label == label for text, label in LABELLED)
    assert hits / len(LABELLED) >= MIN_ACCURACY


def test_prototype_perceiver_gets_the_emotion_family_right_above_the_floor(perceiver):
    hits = sum(
        emotion_family(perceiver.perceive(text).label) == emotion_family(label)
        for text, label in LABELLED
    )
    assert hits / len(LABELLED) >= MIN_ACCURACY


def test_reading_is_a_valid_prototype_reading_with_probabilities(perceiver):
    reading = perceiver.perceive("I'm worried sick about the results.")
    assert isinstance(reading, EmotionReading)
    assert reading.method == "prototype" and 1 <= reading.intensity <= 5
    assert reading.confidence == pytest.approx(reading.scores[reading.label])
    assert sum(reading.scores.values()) == pytest.approx(1.0, abs=1e-3)


def test_explicit_emotion_words_win_over_sentence_shape(perceiver):
    assert perceiver.perceive("Honestly I feel depressed today.").label == "depression"


def test_negated_positive_words_do_not_read_as_joy(perceiver):
    assert perceiver.perceive("I'm not happy at all with how things are.").label != "joy"


def test_a_factual_message_alone_reads_neutral(perceiver):
    assert perceiver.perceive("I work at a bank in the city centre.").label == "neutral"


def test_a_factual_message_keeps_the_emotion_of_earlier_messages_at_lower_intensity(perceiver):
    context = ["I'm terrified I'll be laid off next week.", "I keep panicking about money."]
    reading = perceiver.perceive("I work at a bank in the city centre.", context)
    assert emotion_family(reading.label) == "anxious"
    assert reading.intensity <= 3


def test_context_can_be_switched_off(minilm):
    perceiver = PrototypePerceiver(minilm, context_weight=0.0, carry_over=False)
    reading = perceiver.perceive("I work at a bank.", ["I'm terrified of being laid off."])
    assert reading.label == "neutral"


def test_empty_text_is_refused(perceiver):
    with pytest.raises(InvalidInputError):
        perceiver.perceive("   ")


def test_bad_settings_are_refused_with_the_accepted_ranges(minilm):
    with pytest.raises(InvalidInputError, match="temperature > 0"):
        PrototypePerceiver(minilm, temperature=0)


@pytest.mark.parametrize(
    ("mild", "strong", "label"),
    [
        (
            "I'm a bit worried about work.",
            "I'm SO worried about work, I can't take it anymore!!",
            "anxiety",
        ),
        ("I'm kind of sad today.", "I'm completely heartbroken, I cry every night.", "sadness"),
        ("It annoys me a little.", "I'm absolutely furious, he always does this!", "anger"),
    ],
)
def test_intensity_rises_with_intensifiers_and_falls_with_diminishers(mild, strong, label):
    assert estimate_intensity(mild, label) < estimate_intensity(strong, label)
    assert estimate_intensity(strong, label) >= 4
    assert estimate_intensity(mild, label) <= 3


def test_neutral_messages_have_the_lowest_intensity():
    assert estimate_intensity("I have two brothers.", "neutral") == 1


def test_intensity_stays_within_one_and_five():
    text = "I'm SO SO terrified, ALWAYS, I can't take it, it's unbearable!!! Everything!"
    assert estimate_intensity(text, "fear") == 5
    assert estimate_intensity("a bit, slightly, kind of", "neutral") >= 1


def test_llm_perceiver_returns_the_models_structured_label(perceiver):
    model = ScriptedChatModel(responses=[{"label": "guilt", "intensity": 4}])
    reading = LLMPerceiver(model, fallback=perceiver).perceive("I ruined everything.")
    assert (reading.label, reading.intensity, reading.method) == ("guilt", 4, "llm")
    assert reading.confidence is None


def test_llm_perceiver_prompt_lists_the_labels_and_the_earlier_messages(perceiver):
    model = ScriptedChatModel(responses=[{"label": "anxiety", "intensity": 3}])
    LLMPerceiver(model, fallback=perceiver).perceive("Still the same.", ["I'm worried."])
    sent = " ".join(str(m.content) for m in model.calls[0].messages)
    assert all(label in sent for label in EMOTIONS)
    assert "I'm worried." in sent and "Still the same." in sent


def test_llm_perceiver_falls_back_when_the_model_fails(perceiver):
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=["unused"]), error=TimeoutError("slow"), failures=-1
    )
    reading = LLMPerceiver(model, fallback=perceiver).perceive("I'm terrified of the dark.")
    assert reading.method == "fallback" and reading.label == "fear"


def test_llm_perceiver_falls_back_on_a_label_outside_the_set(perceiver):
    model = ScriptedChatModel(responses=[{"label": "bewildered", "intensity": 9}])
    reading = LLMPerceiver(model, fallback=perceiver).perceive("I miss my mum so much.")
    assert reading.method == "fallback" and reading.label == "sadness"
