"""call_model: bounded retries, notes on what to fix, warmer sampling after a repeat."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from theraloop.agent.session_graph import call_model
from theraloop.agent.testing import ScriptedChatModel

STOCK = "Can you tell me more about what is making you feel this way?"


class _TemperatureModel(ScriptedChatModel):
    """A scripted model with a temperature knob that logs the temperature of every call."""

    temperature: float = 0.3
    seen: list[float]

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any):  # noqa: ANN001
        self.seen.append(self.temperature)
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_after_a_repeat_the_redraft_samples_warmer_and_the_model_itself_is_unchanged():
    drafts = iter([f"I see. {STOCK}", f"Okay. {STOCK}", "Fresh words."])
    model = _TemperatureModel(responses=lambda messages: next(drafts), seen=[])
    text, errors = call_model(model, [HumanMessage("hi")], retries=2, recent=[STOCK])
    assert text == "Fresh words."
    assert model.seen == [0.3, 0.7, 1.1] and model.temperature == 0.3
    assert len(errors) == 2 and all("repeats an earlier reply" in e for e in errors)


def test_a_model_without_a_temperature_knob_is_simply_asked_again():
    model = ScriptedChatModel(responses=[f"I see. {STOCK}", "Fresh words."])
    assert call_model(model, [HumanMessage("hi")], retries=1, recent=[STOCK])[0] == "Fresh words."


def test_a_placeholder_is_never_sent_even_when_every_attempt_has_one():
    model = ScriptedChatModel(responses=["Hi [NAME]."], cycle=True)
    text, errors = call_model(model, [HumanMessage("hi")], retries=2)
    assert text is None and len(errors) == 3
