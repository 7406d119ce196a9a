"""Which chat model each agent role runs on, built by one rule for the agent and the simulator."""

from __future__ import annotations

from theraloop.agent.llm import MODEL_ROLES, make_role_model, role_model_spec
from theraloop.agent.settings import Settings


def test_supervisor_and_safety_run_on_the_therapist_model_unless_given_their_own():
    settings = Settings(therapist_model="ollama:llama3", supervisor_model="openai:gpt-4o-mini")
    assert role_model_spec(settings, "therapist") == "ollama:llama3"
    assert role_model_spec(settings, "supervisor") == "openai:gpt-4o-mini"
    assert role_model_spec(settings, "safety") == "ollama:llama3"


def test_safety_asks_no_model_for_a_second_opinion_when_it_would_be_the_scripted_one():
    assert role_model_spec(Settings(therapist_model="fake"), "safety") is None
    assert make_role_model(Settings(therapist_model="fake"), "safety") is None


def test_perception_calls_a_model_only_when_perception_model_is_set():
    assert make_role_model(Settings(therapist_model="fake"), "perception") is None
    with_model = Settings(therapist_model="fake", perception_model="fake")
    assert make_role_model(with_model, "perception") is not None


def test_every_role_has_a_spec_rule():
    settings = Settings(therapist_model="fake", perception_model="fake", safety_model="local")
    assert {role: role_model_spec(settings, role) for role in MODEL_ROLES} == {
        "therapist": "fake",
        "supervisor": "fake",
        "safety": "local",
        "perception": "fake",
    }
