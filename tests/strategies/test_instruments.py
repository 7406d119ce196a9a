from __future__ import annotations

import pytest

from theraloop.strategies import GAD7_ITEMS, PHQ9_ITEMS, StrategyInputError, score_gad7, score_phq9


def test_phq9_and_gad7_ship_their_nine_and_seven_items():
    assert len(PHQ9_ITEMS) == 9 and len(GAD7_ITEMS) == 7
    assert "better off dead" in PHQ9_ITEMS[8]


@pytest.mark.parametrize(
    ("items", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately_severe"),
        ([3, 3, 3, 2, 2, 2, 2, 2, 0], 19, "moderately_severe"),
        ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_phq9_total_and_band_follow_the_published_cut_offs(items, total, severity):
    score = score_phq9(items)
    assert score.total == total and score.severity == severity and score.max_total == 27


@pytest.mark.parametrize(
    ("items", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 1, 0, 0], 9, "mild"),
        ([2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
        ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    ],
)
def test_gad7_total_and_band_follow_the_published_cut_offs(items, total, severity):
    score = score_gad7(items)
    assert score.total == total and score.severity == severity and score.max_total == 21


def test_phq9_item_9_above_zero_flags_risk_even_with_a_minimal_total():
    score = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert score.severity == "minimal" and score.risk_flag


def test_phq9_without_item_9_does_not_flag_risk_even_when_severe():
    assert not score_phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]).risk_flag


def test_gad7_never_flags_risk():
    assert not score_gad7([3] * 7).risk_flag


def test_scores_keep_the_answers_and_name_the_instrument():
    score = score_gad7((1, 0, 2, 3, 0, 1, 2))
    assert score.instrument == "gad7" and score.items == (1, 0, 2, 3, 0, 1, 2)
    assert score.total == 9


@pytest.mark.parametrize(
    "items",
    [
        [0] * 8,  # too few
        [0] * 10,  # too many
        [0] * 8 + [4],  # above the scale
        [0] * 8 + [-1],  # below the scale
        [0] * 8 + [1.5],  # not an integer
        [0] * 8 + ["2"],  # a string answer
        [0] * 8 + [True],  # a boolean is not an answer
        [0] * 8 + [None],
        "000000000",  # a string is a sequence but not of answers
        None,
    ],
)
def test_phq9_refuses_bad_answers_with_a_value_error(items):
    with pytest.raises(StrategyInputError):
        score_phq9(items)  # type: ignore[arg-type]


def test_bad_answer_message_names_the_item_and_the_scale():
    with pytest.raises(ValueError, match=r"item 3 must be between 0 and 3, got 7"):
        score_gad7([0, 0, 7, 0, 0, 0, 0])


def test_wrong_length_message_says_how_many_answers_are_needed():
    with pytest.raises(ValueError, match="exactly 7"):
        score_gad7([1, 2, 3])
