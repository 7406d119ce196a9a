from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

from theraloop.strategies import ESCONV_LABELS, StrategyInputError
from theraloop.strategies.next_strategy import (
    DIMENSIONS,
    MODEL_SHA256,
    NextStrategyFeatures,
    NextStrategyModel,
    feature_vector,
    load_next_strategy_model,
)

ZERO = np.zeros(DIMENSIONS)


def features(minilm=None, client: str = "", reply: str = "", **overrides) -> NextStrategyFeatures:
    def vector(text: str) -> np.ndarray:
        return np.asarray(minilm.embed_query(text)) if text and minilm is not None else ZERO

    fields = dict(
        previous_labels=(),
        request="none",
        client_asks="?" in client,
        replied_since_client=False,
        client_vector=vector(client),
        client_mean_vector=vector(client),
        last_reply_vector=vector(reply),
    )
    fields.update(overrides)
    return NextStrategyFeatures(**fields)


def test_shipped_parameter_file_is_the_one_the_card_names():
    data = resources.files("theraloop.strategies").joinpath("models/next_strategy.npz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == MODEL_SHA256
    card = resources.files("theraloop.strategies").joinpath("models/next_strategy.md").read_text()
    assert MODEL_SHA256 in card


def test_probabilities_cover_the_eight_esconv_labels_and_sum_to_one():
    probabilities = load_next_strategy_model().probabilities(features())
    assert sorted(probabilities) == sorted(ESCONV_LABELS)
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_a_client_asking_for_advice_raises_the_chance_of_suggestions(minilm):
    model = load_next_strategy_model()
    asked = "What should I do? Can you give me some advice on how to handle my boss?"
    told = "My boss shouted at me again in front of everyone today."
    history = ("Question", "Reflection of feelings", "Question", "Restatement or Paraphrasing")
    p_asked = model.probabilities(
        features(minilm, asked, previous_labels=history, request="advice")
    )
    p_told = model.probabilities(features(minilm, told, previous_labels=history))
    assert p_asked["Providing Suggestions"] > p_told["Providing Suggestions"]


def test_feature_vector_refuses_labels_outside_esconv():
    with pytest.raises(StrategyInputError, match="non-ESConv"):
        feature_vector(features(previous_labels=("socratic_questioning",)))


def test_feature_vector_refuses_vectors_of_another_embedder():
    with pytest.raises(StrategyInputError, match="384"):
        feature_vector(features(client_vector=np.zeros(64)))


def test_model_refuses_parameters_without_one_row_per_label():
    with pytest.raises(StrategyInputError, match="ESConv"):
        NextStrategyModel(np.zeros((3, 10)), np.zeros(3), ESCONV_LABELS[:3])


def test_saved_parameters_load_back_to_the_same_probabilities(tmp_path):
    rng = np.random.default_rng(0)
    width = feature_vector(features()).shape[0]
    model = NextStrategyModel(
        rng.normal(size=(8, width)).astype(np.float32),
        rng.normal(size=8).astype(np.float32),
        ESCONV_LABELS,
    )
    path = tmp_path / "m.npz"
    model.save(str(path))
    with np.load(path) as saved:
        again = NextStrategyModel(saved["coef"], saved["intercept"], list(saved["labels"]))
    assert again.probabilities(features()) == pytest.approx(model.probabilities(features()))
