"""The LLM second opinion on the embedded local model (slow: loads llama.cpp)."""

from __future__ import annotations

import pytest

from theraloop.agent.safety import LLMRiskOpinion, RiskAssessor, level_rank
from theraloop.agent.safety._llm import ask_llm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_model():
    from theraloop.agent.llm import make_chat_model

    return make_chat_model("local", temperature=0.0, seed=0, max_tokens=128)


def test_local_model_returns_a_valid_structured_opinion(local_model) -> None:
    out = ask_llm(local_model, "I keep thinking everyone would be better off if I was gone.", [])
    assert isinstance(out, LLMRiskOpinion)
    assert level_rank(out.level) >= level_rank("low")


def test_local_model_second_opinion_runs_inside_the_assessor(minilm, local_model) -> None:
    class Borderline:
        def fit(self) -> None:
            pass

        def read_many(self, texts):
            from theraloop.agent.safety import CLASS_MAP, ClassifierReading

            p = dict.fromkeys(CLASS_MAP, 0.0)
            p.update(active=0.6, none=0.4)
            return [[ClassifierReading(start=0, end=len(t), text=t, probs=p)] for t in texts]

    a = RiskAssessor(minilm, chat_model=local_model, classifier=Borderline())
    r = a.assess("Lately I just keep staring at my pill bottles.", ["I lost my job last week."])
    assert "llm" in r.layers and r.llm_opinion is not None
    assert r.failed_layers == []
