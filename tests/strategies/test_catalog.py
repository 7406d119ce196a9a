from __future__ import annotations

import pytest

from theraloop.strategies import (
    CATALOG,
    ESCONV_LABELS,
    MODALITIES,
    MODALITY_IDS,
    Strategy,
    UnknownStrategyError,
    get_modality,
    get_strategy,
    strategy_guidance,
    strategy_ids,
)
from theraloop.strategies.errors import StrategyInputError

ESCONV_IDS = {
    "question",
    "restatement",
    "reflection_of_feelings",
    "self_disclosure",
    "affirmation_reassurance",
    "providing_suggestions",
    "information",
    "others",
}
MI_IDS = {
    "open_question",
    "simple_reflection",
    "complex_reflection",
    "affirm",
    "summarize",
    "emphasize_autonomy",
}
CBT_IDS = {
    "socratic_questioning",
    "identify_distortion",
    "decatastrophizing",
    "behavioral_activation",
    "thought_record",
    "homework_review",
}


def test_catalog_holds_exactly_the_esconv_mi_and_cbt_strategies():
    assert set(CATALOG) == ESCONV_IDS | MI_IDS | CBT_IDS
    assert len(CATALOG) == 20


@pytest.mark.parametrize(
    ("family", "ids"), [("esconv", ESCONV_IDS), ("mi", MI_IDS), ("cbt", CBT_IDS)]
)
def test_each_strategy_is_filed_under_its_taxonomy(family, ids):
    assert {s.id for s in CATALOG.values() if s.family == family} == ids


def test_every_esconv_label_is_realised_by_exactly_one_esconv_strategy():
    labels = [s.esconv_label for s in CATALOG.values() if s.family == "esconv"]
    assert sorted(labels) == sorted(ESCONV_LABELS)


def test_every_strategy_maps_to_an_esconv_label():
    assert all(s.esconv_label in ESCONV_LABELS for s in CATALOG.values())


@pytest.mark.parametrize("strategy_id", sorted(ESCONV_IDS | MI_IDS | CBT_IDS))
def test_every_strategy_has_definition_usage_modalities_stages_and_2_to_3_short_examples(
    strategy_id,
):
    strategy = CATALOG[strategy_id]
    assert isinstance(strategy, Strategy)
    assert len(strategy.definition) > 40 and len(strategy.when_to_use) > 40
    assert strategy.modalities and set(strategy.modalities) <= set(MODALITY_IDS)
    assert strategy.stages
    assert 2 <= len(strategy.examples) <= 3
    assert all(0 < len(example) <= 200 for example in strategy.examples)


def test_examples_are_unique_across_the_catalog():
    examples = [e for s in CATALOG.values() for e in s.examples]
    assert len(examples) == len(set(examples))


def test_catalog_is_read_only():
    with pytest.raises(TypeError):
        CATALOG["question"] = CATALOG["others"]  # type: ignore[index]
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen models
        CATALOG["question"].name = "changed"  # type: ignore[misc]


def test_catalog_iterates_in_file_order_esconv_first():
    assert strategy_ids()[:2] == ("question", "restatement")
    assert strategy_ids()[-1] == "homework_review"


def test_unknown_strategy_is_refused_with_the_known_ids():
    with pytest.raises(UnknownStrategyError, match="reflection_of_feelings"):
        get_strategy("confrontation")


def test_unknown_strategy_error_is_both_a_key_error_and_a_value_error():
    with pytest.raises(KeyError):
        get_strategy("nope")
    with pytest.raises(ValueError):
        get_strategy("nope")


def test_every_modality_has_a_definition_and_core_strategies_that_list_it():
    assert set(MODALITIES) == set(MODALITY_IDS)
    for modality, info in MODALITIES.items():
        assert info.id == modality and info.definition and info.indicated_for and info.stance
        for strategy_id in info.core_strategies:
            assert modality in CATALOG[strategy_id].modalities, (modality, strategy_id)


def test_every_modality_has_at_least_one_strategy_for_each_stage():
    for modality in MODALITY_IDS:
        for stage in ("exploration", "insight", "action"):
            assert any(modality in s.modalities and stage in s.stages for s in CATALOG.values()), (
                modality,
                stage,
            )


def test_unknown_modality_is_refused_with_the_accepted_forms():
    with pytest.raises(StrategyInputError, match="person_centred"):
        get_modality("gestalt")


def test_guidance_carries_name_definition_and_every_example():
    strategy = CATALOG["reflection_of_feelings"]
    text = strategy_guidance("reflection_of_feelings")
    assert strategy.name in text and strategy.definition in text
    assert all(example in text for example in strategy.examples)


def test_guidance_forbids_advice_for_non_directive_and_frames_directive_as_optional():
    assert "Do not give advice" in strategy_guidance("simple_reflection")
    assert "free to take or leave" in strategy_guidance("providing_suggestions")


def test_guidance_can_leave_out_examples():
    text = strategy_guidance("affirm", examples=False)
    assert not any(example in text for example in CATALOG["affirm"].examples)


def test_guidance_refuses_unknown_ids():
    with pytest.raises(UnknownStrategyError):
        strategy_guidance("lecture")
