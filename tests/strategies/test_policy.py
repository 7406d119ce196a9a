from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from theraloop.strategies import (
    CATALOG,
    EMOTIONS,
    ESCONV_LABELS,
    MODALITY_IDS,
    STAGES,
    PolicyInput,
    choose_strategy,
)

DIRECTIVE = {s.id for s in CATALOG.values() if s.directive}
QUESTIONS = {"question", "open_question", "socratic_questioning", "decatastrophizing"}


def make(**overrides) -> PolicyInput:
    fields = dict(
        emotion="sadness",
        intensity=3,
        reaction="engaged",
        stage="exploration",
        modality="person_centred",
        recent_strategies=[],
        turn_index=3,
    )
    fields.update(overrides)
    return PolicyInput(**fields)


GRID = list(itertools.product(EMOTIONS, (1, 3, 5), STAGES, MODALITY_IDS))


def test_directive_strategies_exist_and_include_suggestions_and_challenges():
    assert {"providing_suggestions", "identify_distortion", "socratic_questioning"} <= DIRECTIVE


@pytest.mark.parametrize(("emotion", "intensity", "stage", "modality"), GRID)
def test_resistance_never_gets_a_directive_or_confrontational_strategy(
    emotion, intensity, stage, modality
):
    choice = choose_strategy(
        make(
            emotion=emotion,
            intensity=intensity,
            stage=stage,
            modality=modality,
            reaction="resistant",
        )
    )
    assert choice.strategy not in DIRECTIVE
    assert DIRECTIVE <= set(choice.excluded)
    assert not DIRECTIVE & set(choice.scores)


@pytest.mark.parametrize("modality", MODALITY_IDS)
def test_resistance_is_met_with_reflection_or_autonomy(modality):
    choice = choose_strategy(make(reaction="resistant", stage="action", modality=modality))
    assert choice.strategy in {
        "reflection_of_feelings",
        "simple_reflection",
        "complex_reflection",
        "emphasize_autonomy",
    }
    assert "resistant" in choice.reason


@pytest.mark.parametrize(
    ("emotion", "stage", "modality", "reaction"),
    list(
        itertools.product(
            ("anxiety", "depression", "anger", "neutral"),
            STAGES,
            MODALITY_IDS,
            ("engaged", "resistant", "ambivalent", "off_topic"),
        )
    ),
)
def test_the_previous_strategy_is_never_repeated_immediately(emotion, stage, modality, reaction):
    base = make(emotion=emotion, stage=stage, modality=modality, reaction=reaction)
    first = choose_strategy(base).strategy
    second = choose_strategy(base.model_copy(update={"recent_strategies": [first]}))
    assert second.strategy != first
    assert first in second.excluded


def test_the_strategy_of_two_turns_ago_is_penalised():
    base = make(stage="insight", modality="mi")
    first = choose_strategy(base)
    later = choose_strategy(
        base.model_copy(update={"recent_strategies": [first.strategy, "others"]})
    )
    assert later.scores[first.strategy] < first.scores[first.strategy]


@pytest.mark.parametrize("modality", MODALITY_IDS)
@pytest.mark.parametrize("stage", STAGES)
def test_an_engaged_client_gets_a_strategy_of_the_plan_modality(modality, stage):
    choice = choose_strategy(make(modality=modality, stage=stage, emotion="anxiety"))
    assert modality in CATALOG[choice.strategy].modalities, choice


def test_cbt_and_person_centred_plans_choose_differently_for_the_same_moment():
    cbt = choose_strategy(make(modality="cbt", stage="insight", emotion="anxiety"))
    pc = choose_strategy(make(modality="person_centred", stage="insight", emotion="anxiety"))
    assert CATALOG[cbt.strategy].family == "cbt"
    assert CATALOG[pc.strategy].family != "cbt"


def test_stages_progress_from_exploring_to_understanding_to_acting():
    chosen = {
        stage: choose_strategy(make(modality="cbt", stage=stage, emotion="depression")).strategy
        for stage in STAGES
    }
    assert chosen["exploration"] not in DIRECTIVE
    assert "insight" in CATALOG[chosen["insight"]].stages
    assert chosen["action"] in DIRECTIVE
    assert chosen["action"] == "behavioral_activation"


def test_action_stage_with_low_mood_in_cbt_plans_behavioural_activation():
    choice = choose_strategy(make(modality="cbt", stage="action", emotion="depression"))
    assert choice.strategy == "behavioral_activation"


def test_anxiety_in_cbt_insight_stage_examines_the_feared_outcome():
    choice = choose_strategy(make(modality="cbt", stage="insight", emotion="anxiety"))
    assert choice.strategy in {"decatastrophizing", "socratic_questioning"}


def test_overwhelming_feelings_are_reflected_before_problem_solving():
    choice = choose_strategy(
        make(modality="solution_focused", stage="action", emotion="sadness", intensity=5)
    )
    assert choice.strategy not in DIRECTIVE


def test_ambivalence_in_mi_gets_a_complex_reflection():
    choice = choose_strategy(make(modality="mi", stage="insight", reaction="ambivalent"))
    assert choice.strategy == "complex_reflection"


def test_off_topic_drift_is_met_with_a_question_or_summary_that_refocuses():
    choice = choose_strategy(make(reaction="off_topic", stage="exploration"))
    assert choice.strategy in {"question", "open_question", "summarize", "restatement"}


def test_shame_is_met_with_affirmation():
    choice = choose_strategy(make(emotion="shame", stage="insight", modality="person_centred"))
    assert choice.strategy == "affirmation_reassurance"


def test_homework_is_reviewed_at_the_start_of_a_cbt_session_when_pending():
    choice = choose_strategy(
        make(modality="cbt", stage="action", turn_index=0, homework_pending=True)
    )
    assert choice.strategy == "homework_review"


def test_homework_review_is_never_chosen_without_pending_homework():
    for stage, modality in itertools.product(STAGES, MODALITY_IDS):
        choice = choose_strategy(make(stage=stage, modality=modality, turn_index=0))
        assert choice.strategy != "homework_review"
        assert "homework_review" in choice.excluded


def test_a_third_question_in_a_row_is_avoided():
    choice = choose_strategy(
        make(emotion="neutral", recent_strategies=["open_question", "question"])
    )
    assert choice.strategy not in QUESTIONS


def test_a_long_session_gets_a_summary():
    choice = choose_strategy(
        make(
            modality="mi",
            stage="insight",
            turn_index=9,
            recent_strategies=["open_question", "simple_reflection", "affirm"],
        )
    )
    assert choice.strategy == "summarize"


def test_choice_is_deterministic_and_reports_every_eligible_score():
    inp = make(modality="act", stage="insight", emotion="fear", intensity=4)
    first, second = choose_strategy(inp), choose_strategy(inp)
    assert first == second
    assert set(first.scores) | set(first.excluded) == set(CATALOG)
    assert first.scores[first.strategy] == max(first.scores.values())


def test_reason_names_the_strategy_and_its_deciding_factors():
    choice = choose_strategy(make(modality="cbt", stage="action", emotion="depression"))
    assert choice.reason.startswith("Behavioral activation:")
    assert "cbt" in choice.reason and "action" in choice.reason


def test_unknown_emotion_labels_are_treated_as_neutral_not_refused():
    choice = choose_strategy(make(emotion="bewildered"))
    assert choice.strategy in CATALOG


@pytest.mark.parametrize(
    "overrides",
    [
        {"intensity": 0},
        {"intensity": 6},
        {"turn_index": -1},
        {"reaction": "hostile"},
        {"stage": "termination"},
        {"modality": "gestalt"},
        {"recent_strategies": ["confrontation"]},
        {"emotion": ""},
    ],
)
def test_policy_input_refuses_bad_values(overrides):
    with pytest.raises(ValidationError):
        make(**overrides)


def test_unknown_recent_strategy_message_shows_the_bad_id():
    with pytest.raises(ValueError, match="confrontation"):
        make(recent_strategies=["question", "confrontation"])


def test_a_client_asking_for_advice_in_the_action_stage_gets_a_suggestion():
    choice = choose_strategy(
        make(stage="action", modality="person_centred", emotion="anxiety", request="advice")
    )
    assert choice.strategy == "providing_suggestions"
    assert "advice" in choice.reason


def test_a_resistant_client_asking_for_advice_still_gets_no_directive_move():
    choice = choose_strategy(make(stage="action", reaction="resistant", request="advice"))
    assert choice.strategy not in DIRECTIVE


def test_a_question_for_information_is_answered_with_information():
    choice = choose_strategy(make(stage="insight", modality="cbt", request="information"))
    assert choice.strategy == "information"


def test_thanks_and_goodbye_are_met_with_a_warm_closing():
    choice = choose_strategy(make(stage="action", emotion="joy", request="thanks", turn_index=12))
    assert choice.strategy == "others"


def test_after_a_question_the_policy_listens_and_after_listening_it_asks():
    after_question = choose_strategy(make(emotion="neutral", recent_strategies=["question"]))
    after_reflection = choose_strategy(
        make(emotion="neutral", recent_strategies=["reflection_of_feelings"])
    )
    assert after_question.strategy in {
        "restatement",
        "reflection_of_feelings",
        "simple_reflection",
        "complex_reflection",
    }
    assert after_reflection.strategy in {"question", "open_question"}


# --- with a learned prior (theraloop.strategies.next_strategy)
# -------------------------------------


def prior(favoured: str, p: float = 0.65) -> dict[str, float]:
    rest = (1.0 - p) / (len(ESCONV_LABELS) - 1)
    return {label: p if label == favoured else rest for label in ESCONV_LABELS}


@pytest.mark.parametrize("modality", MODALITY_IDS)
def test_resistance_rules_out_directive_moves_even_when_the_prior_favours_advice(modality):
    choice = choose_strategy(
        make(reaction="resistant", modality=modality, learned=prior("Providing Suggestions", 0.9))
    )
    assert choice.strategy not in DIRECTIVE
    assert CATALOG[choice.strategy].esconv_label != "Providing Suggestions"


def test_an_engaged_client_gets_the_label_the_prior_favours():
    for label in ("Question", "Reflection of feelings", "Affirmation and Reassurance"):
        choice = choose_strategy(make(learned=prior(label)))
        assert CATALOG[choice.strategy].esconv_label == label
        assert "fitted on ESConv" in choice.reason


def test_the_plan_modality_chooses_its_own_technique_for_the_favoured_label():
    choice = choose_strategy(make(modality="cbt", learned=prior("Question")))
    assert choice.strategy in {"socratic_questioning", "decatastrophizing"}


def test_the_prior_may_repeat_last_turns_move():
    choice = choose_strategy(make(recent_strategies=["question"], learned=prior("Question", 0.8)))
    assert CATALOG[choice.strategy].esconv_label == "Question"


def test_a_prior_must_give_every_esconv_label_a_probability():
    with pytest.raises(ValidationError, match="ESConv label"):
        make(learned={"Question": 1.0})
