"""Simulated clients, judges and a tiny run on the embedded llama.cpp model (CI's slow pass)."""

from __future__ import annotations

import pytest

from theraloop.simulations.moves import TherapistTurn
from theraloop.simulations.profile_specs import resolve_profiles

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_model():
    from theraloop.agent.llm import make_chat_model

    return make_chat_model("local-small", temperature=0.7, seed=3, max_tokens=80)


def test_local_model_plays_a_client_in_role(small_model):
    from theraloop.simulations.client import StatefulClient

    client = StatefulClient(resolve_profiles(["anxiety-leo"])[0], seed=1, model=small_model)
    client.start_session(1, turns=3)
    client.hear(TherapistTurn(text="Hi Leo, what brings you here today?", opening=True))
    said = [client.speak().text]
    client.hear(
        TherapistTurn(
            text="It sounds like being around people is really hard.",
            strategy="reflection_of_feelings",
            modality="person_centred",
        )
    )
    said.append(client.speak().text)
    assert all(said)
    assert client.voice.calls == 2 and client.voice.fallbacks < 2


def test_local_model_judges_a_course_with_structured_scores(tmp_path):
    from tests.simulations.sim_standin import StandInTherapist
    from theraloop.agent.llm import make_chat_model
    from theraloop.simulations.judge import LLMJudge
    from theraloop.simulations.rundata import load_run
    from theraloop.simulations.runner import RunConfig, run_simulation

    run_simulation(
        RunConfig(sessions=1, turns=2, seed=1),
        tmp_path,
        resolve_profiles(["depression-maya"]),
        agent_factory=lambda d, c, k: StandInTherapist(d, c, k),
        progress=False,
    )
    client = load_run(tmp_path).clients["depression-maya"]
    model = make_chat_model("local-small", temperature=0.0, seed=0, max_tokens=500)
    judge = LLMJudge(model, name="llm:local-small", retries=0)
    result = judge.judge_client(client)  # 3 items: the cheapest structured call of the judge
    assert not judge.failures, judge.failures
    assert not result.coherence.reason.startswith("[heuristic fallback")
    assert all(
        0 <= getattr(result, k).score <= 6 for k in ("coherence", "flexibility", "attunement")
    )


def test_tiny_simulation_on_the_local_model(tmp_path, minilm):
    from theraloop.simulations.runner import RunConfig, default_agent_factory, run_simulation

    result = run_simulation(
        RunConfig(sessions=1, turns=2, seed=1, therapist_model="local-small"),
        tmp_path,
        resolve_profiles(["depression-maya"]),
        agent_factory=default_agent_factory(minilm),
        progress=False,
    )
    assert result.ok, [o.error for o in result.outcomes]
