"""Ebbinghaus retention: closed-form values, reinforcement, policy checks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from theraloop.memory import DecayPolicy, InvalidInputError, MemoryItem, retention
from theraloop.memory.decay import (
    days_until,
    elapsed_days,
    initial_strength,
    item_retention,
    reinforced_strength,
)

T = datetime(2026, 1, 1, tzinfo=UTC)


def _item(strength: float = 1.0, *, pinned: bool = False, last: datetime = T) -> MemoryItem:
    return MemoryItem(
        id="x",
        client_id="c",
        kind="turn",
        text="t",
        created_at=T,
        updated_at=T,
        last_recalled_at=last,
        strength=strength,
        pinned=pinned,
    )


def test_retention_k5_s2_dt7_is_e_to_minus_0_7():
    assert retention(7, 2, 5) == pytest.approx(math.exp(-0.7))
    assert retention(7, 2, 5) == pytest.approx(0.4966, abs=5e-5)


def test_retention_is_not_memorybanks_inverted_formula():
    assert retention(7, 2, 5) != pytest.approx(math.exp(-2.8))  # exp(-t / 5 * S) read literally


def test_retention_k1_s5_dt7_is_e_to_minus_1_4():
    assert retention(7, 5, 1) == pytest.approx(0.2466, abs=5e-5)


def test_retention_right_after_recall_is_one():
    assert retention(0, 3.7, 2.0) == 1.0


def test_stronger_memories_fade_more_slowly():
    assert retention(10, 4, 1) > retention(10, 2, 1) > retention(10, 1, 1)


@pytest.mark.parametrize(
    ("dt", "s", "k"),
    [
        (math.nan, 1, 1),
        (1, math.nan, 1),
        (1, 1, math.inf),
        (-1, 1, 1),
        (1, 0, 1),
        (1, -2, 1),
        (1, 1, 0),
        (1, math.inf, 1),
        ("7", 1, 1),
        (True, 1, 1),
    ],
)
def test_retention_refuses_invalid_numbers(dt, s, k):
    with pytest.raises(InvalidInputError):
        retention(dt, s, k)


def test_item_retention_uses_days_since_last_recall():
    item = _item(strength=2.0, last=T + timedelta(days=3))
    policy = DecayPolicy(k=5.0)
    assert item_retention(item, T + timedelta(days=10), policy) == pytest.approx(math.exp(-0.7))


def test_pinned_items_never_fade():
    assert item_retention(_item(pinned=True), T + timedelta(days=10_000), DecayPolicy()) == 1.0


def test_elapsed_days_before_last_recall_counts_as_zero():
    assert elapsed_days(T, T - timedelta(days=2)) == 0.0


def test_elapsed_days_refuses_naive_datetimes():
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        elapsed_days(T, datetime(2026, 1, 2))  # noqa: DTZ001


def test_reinforcement_adds_the_increment_up_to_the_cap():
    policy = DecayPolicy(recall_increment=1.5, max_strength=4.0)
    assert reinforced_strength(policy, 1.0) == 2.5
    assert reinforced_strength(policy, 3.9) == 4.0


def test_important_memories_start_stronger():
    policy = DecayPolicy(initial_strength=1.0, importance_gain=1.0)
    assert initial_strength(policy, 0.0) == initial_strength(policy, 0.5) == 1.0
    assert initial_strength(policy, 1.0) == 2.0


@pytest.mark.parametrize("importance", [-0.1, 1.1, math.nan])
def test_initial_strength_refuses_importance_outside_unit_interval(importance):
    with pytest.raises(InvalidInputError):
        initial_strength(DecayPolicy(), importance)


def test_days_until_threshold_matches_the_curve():
    policy = DecayPolicy(k=7.0)
    item = _item(strength=2.0)
    days = days_until(item, 0.02, policy)
    assert retention(days, 2.0, 7.0) == pytest.approx(0.02)
    assert days_until(_item(pinned=True), 0.02, policy) == math.inf


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0},
        {"k": math.nan},
        {"archive_threshold": 1.0},
        {"initial_strength": -1},
        {"recall_increment": math.inf},
        {"max_strength": 1.5},
    ],
)
def test_decay_policy_refuses_invalid_constants(kwargs):
    with pytest.raises(ValueError):
        DecayPolicy(**kwargs)


def test_decay_policy_is_frozen():
    with pytest.raises(ValueError):
        DecayPolicy().k = 3  # type: ignore[misc]
