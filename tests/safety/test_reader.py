"""The learned risk reader: shipped, hash-checked head; default in the detector; public API."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from theraloop.agent.safety import (
    EmbeddingRiskClassifier,
    LearnedRiskReader,
    RiskAssessor,
    assess_risk,
)
from theraloop.agent.safety.reader import HeadWeights, default_reader, head_digest
from theraloop.agent.safety.training.recipe import expand_recipe
from theraloop.memory import HashingEmbedder
from theraloop.memory.errors import InvalidInputError

FROZEN = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def test_shipped_head_loads_and_matches_its_recorded_digest() -> None:
    head = HeadWeights.load()
    assert head.w1.shape == (384, head.b1.shape[0])
    assert 0.0 < head.flag <= head.accept < 1.0


def test_a_changed_head_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    head = HeadWeights.load()
    changed = replace(head, w1=head.w1 + np.float32(1e-3))
    assert head_digest(changed) != head_digest(head)
    monkeypatch.setattr("theraloop.agent.safety.reader.SHIPPED_SHA256", head_digest(changed))
    with pytest.raises(InvalidInputError, match="sha256"):
        HeadWeights.load()


def test_minilm_gets_the_learned_reader_and_other_embedders_the_example_classifier(
    minilm,
) -> None:
    assert isinstance(default_reader(minilm), LearnedRiskReader)
    assert isinstance(default_reader(HashingEmbedder()), EmbeddingRiskClassifier)


def test_the_detector_uses_the_readers_own_thresholds(minilm) -> None:
    assessor = RiskAssessor(minilm)
    assert isinstance(assessor.classifier, LearnedRiskReader)
    assert assessor.llm_band == assessor.classifier.band


def test_the_reader_refuses_vectors_it_was_not_trained_on() -> None:
    with pytest.raises(InvalidInputError, match="trained on"):
        LearnedRiskReader(HashingEmbedder()).predict_proba(["hello"])


def test_text_unlike_any_risk_sentence_gets_no_self_directed_risk(minilm) -> None:
    reader = LearnedRiskReader(minilm)
    (probs,) = reader.predict_proba(["Then I'm your man =] I play on the EU server most nights."])
    assert sum(probs[c] for c in ("passive", "active", "plan", "imminent", "self_harm")) == 0.0


def test_a_short_message_of_several_sentences_is_also_read_whole(minilm) -> None:
    text = "It's all arranged. Friday."
    readings = LearnedRiskReader(minilm).read_many([text])[0]
    assert [r.text for r in readings] == ["It's all arranged.", "Friday.", text]


def test_assess_accepts_none_for_no_history(assessor: RiskAssessor) -> None:
    assert assessor.assess("I had a nice walk today.", None).level == "none"


def test_assess_risk_reads_an_explicit_plan_as_protocol_worthy() -> None:
    r = assess_risk("I'm going to kill myself tonight, I've got the pills ready.", history=None)
    assert r.requires_protocol


def test_assess_risk_takes_earlier_messages_as_history() -> None:
    r = assess_risk("Anyway, how was your week?", history=["I have a plan to end my life."])
    assert r.context_level != "none"


def test_recipe_expansion_is_deterministic_and_labels_every_sentence() -> None:
    first, second = expand_recipe(seed=0), expand_recipe(seed=0)
    assert first == second
    assert {e.label for e in first} >= {"none", "passive", "active", "plan", "self_harm"}


def test_no_frozen_evaluation_sentence_is_in_the_training_recipe() -> None:
    import yaml

    training = {e.text.lower() for e in expand_recipe(seed=0)}
    for path in FROZEN.glob("crisis_frozen_v*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        for section in ("protocol", "ask", "lookalike"):
            for item in data[section]:
                assert item["text"].lower() not in training, item["text"]


def test_frozen_set_v1_is_unchanged() -> None:
    digest = hashlib.sha256((FROZEN / "crisis_frozen_v1.yaml").read_bytes()).hexdigest()
    assert digest == "31419b9d635dff38fff91b4cc49452f428ebb3abf9059215693036ec491c4a2b"


class _PlanInBand:
    """Reads every text as a plan at p=0.8: inside the learned reader's band, below accept."""

    def fit(self) -> None:
        pass

    def read_many(self, texts):
        from theraloop.agent.safety import CLASS_MAP, ClassifierReading

        probs = dict.fromkeys(CLASS_MAP, 0.0)
        probs.update(plan=0.8, none=0.2)
        return [[ClassifierReading(start=0, end=len(t), text=t, probs=probs)] for t in texts]


def test_a_plan_reading_in_the_band_with_a_time_ahead_is_taken_at_its_level() -> None:
    a = RiskAssessor(None, classifier=_PlanInBand(), llm_band=(0.7, 0.95))
    assert a.assess("I'm done, it's tonight.", None).requires_protocol


def test_a_plan_reading_in_the_band_with_a_time_past_stays_borderline() -> None:
    a = RiskAssessor(None, classifier=_PlanInBand(), llm_band=(0.7, 0.95))
    r = a.assess("I bumped into the door this morning.", None)
    assert r.level == "low" and not r.requires_protocol
