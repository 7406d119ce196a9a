from __future__ import annotations

from dataclasses import dataclass

import pytest

from theraloop.agent.strategy_prior import learned_prior
from theraloop.memory import HashingEmbedder
from theraloop.strategies import ESCONV_LABELS


@dataclass(frozen=True)
class Turn:
    client_text: str
    reply: str
    strategy: str | None


TURNS = [
    Turn("Hi, I've had a rough week.", "Hi, I'm here to listen. What happened?", "question"),
    Turn("I lost my job on Monday.", "Losing a job is a real shock.", "reflection_of_feelings"),
    Turn("I'm scared about rent.", "Crisis protocol reply.", None),
]


def test_the_prior_gives_every_esconv_label_a_probability(minilm):
    prior = learned_prior(TURNS, "I don't know what to do now.", "none", minilm)
    assert prior is not None
    assert sorted(prior) == sorted(ESCONV_LABELS)
    assert sum(prior.values()) == pytest.approx(1.0)


def test_asking_for_advice_makes_suggestions_likelier(minilm):
    asked = learned_prior(TURNS, "What should I do? Any advice?", "advice", minilm)
    told = learned_prior(TURNS, "My landlord called again today.", "none", minilm)
    assert asked is not None and told is not None
    assert asked["Providing Suggestions"] > told["Providing Suggestions"]


def test_another_embedder_gets_no_prior():
    assert learned_prior(TURNS, "I don't know what to do.", "none", HashingEmbedder()) is None
