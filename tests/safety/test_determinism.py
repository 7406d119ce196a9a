"""The same conversation gets the same risk level whatever the second opinion does or when."""

from __future__ import annotations

import pytest

from theraloop.agent.llm import ModelTimeoutError
from theraloop.agent.safety import RiskAssessor
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel
from theraloop.memory.errors import InvalidInputError

from .test_detector import BORDERLINE, StubClassifier, opinion

TEXT = "Everything is grey and I keep staring at the medicine cabinet."
QUOTE = "I keep staring at the medicine cabinet"


def _answering(level: str) -> ScriptedChatModel:
    return ScriptedChatModel(responses=[opinion(level, "suicide", quote=QUOTE)])


def _timing_out() -> FailingChatModel:
    return FailingChatModel(
        inner=_answering("imminent"), error=ModelTimeoutError("120 s passed"), failures=-1
    )


@pytest.mark.parametrize(
    "model",
    [None, _answering("none"), _answering("high"), _timing_out()],
    ids=["no-model", "says-none", "says-high", "times-out"],
)
def test_by_default_a_borderline_turn_is_low_whatever_the_opinion(model) -> None:
    a = RiskAssessor(None, chat_model=model, classifier=StubClassifier(**BORDERLINE))
    r = a.assess(TEXT)
    assert (r.level, r.requires_protocol, r.categories) == ("low", False, ["suicide"])


def test_an_arrived_opinion_is_recorded_for_review() -> None:
    a = RiskAssessor(None, chat_model=_answering("high"), classifier=StubClassifier(**BORDERLINE))
    r = a.assess(TEXT)
    assert r.llm_opinion is not None and r.llm_opinion.level == "high"
    assert "llm" in r.layers and "second opinion recorded: high" in r.rationale


def test_a_timed_out_opinion_is_recorded_as_a_failed_layer() -> None:
    a = RiskAssessor(None, chat_model=_timing_out(), classifier=StubClassifier(**BORDERLINE))
    r = a.assess(TEXT)
    assert r.failed_layers == ["llm"] and "ModelTimeoutError" in r.errors[0]
    assert r.llm_opinion is None and "failed and was recorded" in r.rationale


def test_passive_ideation_persistence_does_not_depend_on_the_opinion_arriving() -> None:
    turns = ["Everything is grey.", "Still grey.", "Grey again today."]

    def levels(model):
        a = RiskAssessor(None, chat_model=model, classifier=StubClassifier(**BORDERLINE))
        return [x.level for x in a.assess_conversation(turns, use_llm=True)]

    answering = ScriptedChatModel(responses=[opinion("low")], cycle=True)
    assert levels(answering) == levels(_timing_out()) == levels(None)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="second_opinion"):
        RiskAssessor(None, classifier=StubClassifier(), second_opinion="vote")  # type: ignore[arg-type]
