"""The level arithmetic every safety layer shares."""

from __future__ import annotations

import pytest

from theraloop.agent.safety.models import RISK_LEVELS, lower_level, max_level, reaches


@pytest.mark.parametrize(
    ("level", "lower"),
    [
        ("imminent", "high"),
        ("high", "moderate"),
        ("moderate", "low"),
        ("low", "none"),
        ("none", "none"),
    ],
)
def test_lower_level_steps_down_once_and_stops_at_none(level: str, lower: str) -> None:
    assert lower_level(level) == lower


def test_reaches_means_at_or_above() -> None:
    for i, level in enumerate(RISK_LEVELS):
        assert [reaches(level, t) for t in RISK_LEVELS] == [j <= i for j in range(5)]


def test_max_level_of_nothing_is_none() -> None:
    assert max_level([]) == "none"
