"""The fine-tuned risk reader: shipped, hash-checked LoRA weights merged into MiniLM at load."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from theraloop.agent.safety import RiskAssessor
from theraloop.agent.safety.classifier import SELF_DIRECTED_CLASSES
from theraloop.agent.safety.reader_lora import (
    TUNED_SHA256,
    TunedRiskReader,
    TunedWeights,
    tuned_digest,
)
from theraloop.memory.errors import InvalidInputError


@pytest.fixture(scope="module")
def reader() -> TunedRiskReader:
    r = TunedRiskReader()
    r.fit()
    return r


def _self_directed(reader: TunedRiskReader, text: str) -> float:
    (probs,) = reader.predict_proba([text])
    return sum(probs[c] for c in SELF_DIRECTED_CLASSES)


def test_the_shipped_weights_match_their_recorded_digest() -> None:
    weights = TunedWeights.load()
    assert tuned_digest(weights) == TUNED_SHA256
    assert weights.lora_a.shape[:2] == weights.lora_b.shape[:2] == (6, 2)
    assert 0.0 < weights.flag <= weights.accept < 1.0


def test_a_changed_weights_file_is_refused(tmp_path: Path) -> None:
    weights = TunedWeights.load()
    changed = replace(weights, head_b=weights.head_b + np.float32(1e-3))
    changed.save(tmp_path / "changed.npz")
    with pytest.raises(InvalidInputError, match="sha256"):
        TunedWeights.load(tmp_path / "changed.npz", expected_sha256=TUNED_SHA256)


def test_merged_weights_change_the_reading_of_the_base_model(reader: TunedRiskReader) -> None:
    zero = TunedWeights.load()
    untuned = TunedRiskReader(
        replace(zero, lora_a=np.zeros_like(zero.lora_a)), backend="torch"
    ).predict_proba(["I have stopped taking my insulin on purpose."])
    tuned = reader.predict_proba(["I have stopped taking my insulin on purpose."])
    assert untuned != tuned


def test_a_plain_plan_reads_riskier_than_its_look_alike(reader: TunedRiskReader) -> None:
    plan = "I've picked the multistorey car park on Dean Street and I'm jumping from it on Sunday."
    look_alike = "I've picked the car park on Dean Street for Sunday because it's near the market."
    assert _self_directed(reader, plan) > _self_directed(reader, look_alike) + 0.5


def test_the_onnx_export_reads_like_the_merged_torch_model(reader: TunedRiskReader) -> None:
    text = "Honestly my family would manage fine if I wasn't around any more."
    torch_reader = TunedRiskReader(TunedWeights.load(), backend="torch")
    assert _self_directed(reader, text) == pytest.approx(
        _self_directed(torch_reader, text), abs=1e-3
    )


def test_the_detector_takes_the_readers_thresholds_and_none_for_no_history(
    reader: TunedRiskReader,
) -> None:
    assessor = RiskAssessor(None, classifier=reader)
    assert assessor.llm_band == reader.band
    assert assessor.assess("We walked the dog along the canal after lunch.", None).level == "none"
