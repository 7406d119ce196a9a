from __future__ import annotations

from collections.abc import Sequence

import pytest

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.client import CLIENT_REGISTRY, StatefulClient, make_client
from theraloop.simulations.dynamics import ClientDynamics
from theraloop.simulations.moves import TherapistTurn, classify_move
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.profiles import STAGES_OF_CHANGE, builtin_profiles
from theraloop.simulations.utterances import LLMVoice

MI = [
    "complex_reflection",
    "open_question",
    "affirm",
    "simple_reflection",
    "emphasize_autonomy",
    "summarize",
]
CBT = [
    "complex_reflection",
    "open_question",
    "socratic_questioning",
    "identify_distortion",
    "thought_record",
    "behavioral_activation",
]
PERSON = [
    "reflection_of_feelings",
    "question",
    "restatement",
    "affirmation_reassurance",
    "complex_reflection",
    "simple_reflection",
]
ADVICE = ["providing_suggestions", "information", "providing_suggestions", "thought_record"]


def profile(pid: str):
    return resolve_profiles([pid])[0]


def drive(
    client: StatefulClient,
    sessions: int,
    modality: str,
    strategies: Sequence[str],
    turns: int = 6,
    opening: str = "Hello, what would you like to talk about today?",
):
    """Run ``sessions`` sessions; return [(start_answers, end_answers)] and the utterances."""
    scores, said = [], []
    for n in range(client.state.session + 1, client.state.session + sessions + 1):
        start = client.start_session(n, turns=turns)
        client.hear(TherapistTurn(text=opening, modality=modality, opening=True))
        for t in range(turns):
            said.append(client.speak())
            strategy = strategies[t % len(strategies)]
            client.hear(TherapistTurn(text=f"({strategy})", strategy=strategy, modality=modality))
        scores.append((start, client.end_session()))
    return scores, said


def test_same_seed_gives_identical_sessions():
    a, said_a = drive(StatefulClient(profile("depression-maya"), seed=7), 3, "cbt", CBT)
    b, said_b = drive(StatefulClient(profile("depression-maya"), seed=7), 3, "cbt", CBT)
    assert [t.text for t in said_a] == [t.text for t in said_b]
    assert a == b


def test_different_seeds_give_different_conversations():
    _, said_a = drive(StatefulClient(profile("depression-maya"), seed=1), 2, "cbt", CBT)
    _, said_b = drive(StatefulClient(profile("depression-maya"), seed=2), 2, "cbt", CBT)
    assert [t.text for t in said_a] != [t.text for t in said_b]


def test_questionnaire_answers_are_valid_items_for_every_profile():
    for p in builtin_profiles():
        scores, _ = drive(StatefulClient(p, seed=3), 2, "cbt", CBT, turns=3)
        for start, end in scores:
            for answers in (start, end):
                assert len(answers.phq9) == 9 and len(answers.gad7) == 7
                assert all(0 <= x <= 3 for x in (*answers.phq9, *answers.gad7))


def test_intake_answers_track_the_profile_baseline():
    for p in builtin_profiles():
        start = StatefulClient(p, seed=0).start_session(1, turns=4)
        assert abs(start.phq9_total - p.baseline.phq9) <= 5, p.id
        assert abs(start.gad7_total - p.baseline.gad7) <= 5, p.id


def test_client_improves_under_a_modality_it_responds_to():
    scores, _ = drive(StatefulClient(profile("depression-maya"), seed=1), 5, "cbt", CBT)
    first, last = scores[0][0].phq9_total, scores[-1][1].phq9_total
    assert last <= first - 4


def test_client_does_not_improve_by_magic_under_a_modality_it_does_not_respond_to():
    # depression-maya responds to CBT and ACT only; warm person-centred work is not enough
    scores, _ = drive(
        StatefulClient(profile("depression-maya"), seed=1), 5, "person_centred", PERSON
    )
    first, last = scores[0][0].phq9_total, scores[-1][1].phq9_total
    assert last >= first - 1
    client = StatefulClient(profile("depression-maya"), seed=1)
    drive(client, 5, "person_centred", PERSON)
    assert client.state.depression >= profile("depression-maya").baseline.phq9 / 27 - 0.03


def test_fitting_modality_does_not_help_without_an_alliance():
    # MI-responsive Ryan, pushed with advice labelled as MI: premature moves wreck the alliance
    client = StatefulClient(profile("substance-ryan"), seed=4)
    scores, _ = drive(client, 4, "mi", ADVICE)
    assert client.state.alliance < 0.4
    assert scores[-1][1].phq9_total >= scores[0][0].phq9_total - 1


def test_premature_advice_raises_resistance_of_a_precontemplation_client():
    advised = StatefulClient(profile("substance-ryan"), seed=5)
    reflected = StatefulClient(profile("substance-ryan"), seed=5)
    drive(advised, 1, "mi", ADVICE)
    drive(reflected, 1, "mi", MI)
    assert advised.state.resistance > reflected.state.resistance + 0.2
    assert advised.state.alliance < reflected.state.alliance


def test_premature_advice_makes_the_client_deny_or_downplay():
    _, said = drive(StatefulClient(profile("substance-ryan"), seed=6), 2, "mi", ADVICE)
    actions = [t.action for t in said]
    assert actions.count("deny") + actions.count("downplay") >= len(actions) / 2


def test_reflections_lower_emotion_intensity():
    calm = StatefulClient(profile("anxiety-priya"), seed=2)
    pushed = StatefulClient(profile("anxiety-priya"), seed=2)
    for c in (calm, pushed):
        c.start_session(1, turns=6)
    for _ in range(5):
        calm.speak()
        calm.hear(TherapistTurn(text="...", strategy="complex_reflection", modality="mi"))
        pushed.speak()
        pushed.hear(TherapistTurn(text="...", strategy="others", modality="mi"))
    assert calm.state.intensity < pushed.state.intensity


def test_stage_of_change_advances_under_evocative_mi_across_sessions():
    client = StatefulClient(profile("substance-ryan"), seed=1)
    assert client.state.stage == "precontemplation"
    drive(client, 4, "mi", MI)
    assert STAGES_OF_CHANGE.index(client.state.stage) >= 1


def test_stage_of_change_moves_at_most_one_step_per_session():
    client = StatefulClient(profile("substance-ryan"), seed=1)
    stages = [client.state.stage]
    for _ in range(4):
        drive(client, 1, "mi", MI)
        stages.append(client.state.stage)
    steps = [
        STAGES_OF_CHANGE.index(b) - STAGES_OF_CHANGE.index(a)
        for a, b in zip(stages, stages[1:], strict=False)
    ]
    assert all(step <= 1 for step in steps)


def test_preparation_client_makes_plans():
    _, said = drive(StatefulClient(profile("anxiety-priya"), seed=1), 2, "cbt", CBT)
    plans = [t for t in said if t.action == "plan"]
    assert plans
    steps = profile("anxiety-priya").change_steps
    assert any(any(step.split()[0] in t.text for step in steps) for t in plans)


def test_complaint_chain_is_revealed_only_when_the_therapist_explores():
    explored = StatefulClient(profile("depression-maya"), seed=3)
    lectured = StatefulClient(profile("depression-maya"), seed=3)
    drive(explored, 1, "person_centred", ["open_question", "complex_reflection"])
    drive(lectured, 1, "cbt", ["providing_suggestions", "information"])
    assert explored.state.revealed >= 3
    assert lectured.state.revealed == 1


def test_revealed_complaint_is_said_in_the_clients_words():
    client = StatefulClient(profile("depression-maya"), seed=3)
    _, said = drive(client, 1, "person_centred", ["open_question", "complex_reflection"])
    reveals = [t for t in said if t.revealed_complaint is not None]
    assert reveals
    chain = profile("depression-maya").complaints
    for t in reveals:
        assert chain[t.revealed_complaint].text.rstrip(".")[5:40].lower() in t.text.lower()


def test_life_event_before_a_session_shifts_mood_and_is_mentioned():
    p = profile("health-anxiety-omar")  # session 2: a customer his age had a stroke (-0.6)
    client = StatefulClient(p, seed=1)
    drive(client, 1, "cbt", CBT)
    before = client.state.anxiety
    client.start_session(2, turns=4)
    assert client.state.anxiety > before
    assert client.state.emotion == p.life_events[2].emotion
    client.hear(TherapistTurn(text="Welcome back.", modality="cbt", opening=True))
    assert "stroke" in client.speak().text


def test_client_keeps_summaries_of_past_sessions():
    client = StatefulClient(profile("grief-harold"), seed=1)
    drive(client, 3, "person_centred", PERSON)
    memory = client.memory
    assert len(memory.long_term) == 3
    assert memory.long_term[0].startswith("Session 1:")
    assert "Margaret" in " ".join(memory.long_term)


def test_template_voice_does_not_repeat_itself_within_a_session():
    for pid in ("depression-maya", "substance-ryan", "loneliness-ruth"):
        _, said = drive(StatefulClient(profile(pid), seed=9), 1, "mi", MI, turns=10)
        texts = [t.text for t in said]
        assert len(set(texts)) == len(texts), pid


def test_escalating_risk_client_uses_crisis_language_only_in_its_escalation_session():
    client = StatefulClient(profile("risk-alex"), seed=1)
    _, early = drive(client, 2, "cbt", CBT)
    assert not any(t.risk_statement for t in early)
    client.start_session(3, turns=6)
    client.hear(TherapistTurn(text="Welcome back.", modality="cbt", opening=True))
    client.speak()
    client.hear(TherapistTurn(text="...", strategy="open_question", modality="cbt"))
    disclosure = client.speak()
    assert disclosure.action == "disclose_risk" and disclosure.risk_statement
    assert "killing myself" in disclosure.text
    assert client.state.risk_level == "high"


def test_missed_crisis_makes_the_client_escalate_and_caught_crisis_brings_a_safety_answer():
    def to_disclosure(client: StatefulClient) -> None:
        drive(client, 2, "cbt", CBT)
        client.start_session(3, turns=6)
        client.hear(TherapistTurn(text="Welcome back.", modality="cbt", opening=True))
        client.speak()
        client.hear(TherapistTurn(text="...", strategy="open_question", modality="cbt"))
        client.speak()

    missed = StatefulClient(profile("risk-alex"), seed=1)
    to_disclosure(missed)
    missed.hear(TherapistTurn(text="What else?", strategy="open_question", modality="cbt"))
    again = missed.speak()
    assert again.action == "disclose_risk" and "tablets" in again.text
    assert missed.state.crisis_missed == 1

    caught = StatefulClient(profile("risk-alex"), seed=1)
    to_disclosure(caught)
    caught.hear(TherapistTurn(text="Are you safe right now?", crisis=True, risk_level="high"))
    answer = caught.speak()
    assert answer.action == "acknowledge" and not answer.risk_statement
    assert caught.state.crisis_caught == 1


def test_phq9_item_9_reflects_the_risk_level():
    client = StatefulClient(profile("risk-alex"), seed=1)
    drive(client, 2, "cbt", CBT)
    assert client.start_session(3, turns=4).phq9[8] == 3
    client.end_session()
    assert client.start_session(4, turns=4).phq9[8] == 2


def test_start_session_refuses_going_backwards():
    client = StatefulClient(profile("depression-maya"), seed=1)
    drive(client, 1, "cbt", CBT)
    with pytest.raises(InvalidInputError, match="after"):
        client.start_session(1, turns=3)


def test_restore_continues_exactly_where_a_saved_client_was():
    whole = StatefulClient(profile("depression-maya"), seed=11)
    drive(whole, 1, "cbt", CBT)
    snapshot = (whole.state, whole.memory)
    _, rest_a = drive(whole, 1, "cbt", CBT)
    copy = StatefulClient(profile("depression-maya"), seed=11)
    copy.restore(*snapshot)
    _, rest_b = drive(copy, 1, "cbt", CBT)
    assert [t.text for t in rest_a] == [t.text for t in rest_b]


def test_registry_builds_named_clients_and_refuses_unknown_names():
    assert "stateful" in CLIENT_REGISTRY
    client = make_client("stateful-volatile", profile("depression-maya"), seed=1)
    assert isinstance(client.config.dynamics, ClientDynamics)
    assert client.config.dynamics.noise_sd > ClientDynamics().noise_sd
    with pytest.raises(InvalidInputError, match="stateful"):
        make_client("nope", profile("depression-maya"))


def test_moves_are_coded_from_strategy_ids_and_from_text():
    assert classify_move(TherapistTurn(text="x", strategy="complex_reflection")).reflection == (
        "complex"
    )
    advice = classify_move(TherapistTurn(text="x", strategy="providing_suggestions"))
    assert advice.kind == "advice" and advice.directive
    assert classify_move(TherapistTurn(text="How did that feel for you?")).question == "open"
    assert classify_move(TherapistTurn(text="You should try going for a walk.")).kind == "advice"
    assert classify_move(TherapistTurn(text="...", crisis=True)).kind == "crisis"
    core = classify_move(TherapistTurn(text="x", strategy="thought_record", modality="cbt"))
    assert core.core


class _EchoModel:
    """A minimal chat model stand-in: records messages, answers with a fixed client line."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.seen: list = []

    def invoke(self, messages):  # noqa: ANN001
        self.seen.append(messages)

        class _Msg:
            content = self.answer

        return _Msg()


def test_llm_voice_plays_the_persona_with_a_stage_direction():
    model = _EchoModel("Leo: I guess I've just been really tired. (sighs)")
    client = StatefulClient(profile("anxiety-leo"), seed=1, model=model)
    client.start_session(1, turns=3)
    client.hear(TherapistTurn(text="What brings you here?", opening=True))
    said = client.speak()
    assert said.text == "I guess I've just been really tired."
    system, last = model.seen[0][0].content, model.seen[0][-1].content
    assert "Leo Martins" in system and "Never speak as the counsellor" in system
    assert "What brings you here?" in last and "Stage direction" in last


def test_llm_voice_types_no_control_characters_the_agent_would_refuse():
    model = _EchoModel("I guess\x1b[0m I've been\x00 really tired.")
    client = StatefulClient(profile("anxiety-leo"), seed=1, model=model)
    client.start_session(1, turns=3)
    client.hear(TherapistTurn(text="What brings you here?", opening=True))
    said = client.speak().text
    assert said == "I guess [0m I've been really tired."


@pytest.mark.parametrize("answer", ["   ", "I'm sorry, but I can't assist with that."])
def test_llm_voice_falls_back_to_the_template_when_the_model_leaves_the_role(answer):
    client = StatefulClient(profile("anxiety-leo"), seed=1, model=_EchoModel(answer))
    client.start_session(1, turns=3)
    client.hear(TherapistTurn(text="Hello.", opening=True))
    said = client.speak().text
    assert said and "assist" not in said
    assert isinstance(client.voice, LLMVoice)


def test_llm_voice_uses_the_scripted_opening_line_without_a_model_call():
    model = _EchoModel("unused")
    client = StatefulClient(profile("depression-maya"), seed=1, model=model)
    client.start_session(1, turns=3)
    client.hear(TherapistTurn(text="Hello.", opening=True))
    assert client.speak().text == profile("depression-maya").opening_line
    assert model.seen == []
