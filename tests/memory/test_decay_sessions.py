"""Session-paced decay: a memory ages by the client's sessions, never faster than the calendar."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from theraloop.memory import DecayPolicy, ManualClock, MemoryStore
from theraloop.memory.decay import aged_days


def test_sessions_cap_the_age_of_a_memory() -> None:
    assert aged_days(90.0, 3, 0.5, DecayPolicy(session_days=7.0)) == 21.5


def test_a_memory_is_never_older_than_the_calendar_says() -> None:
    assert aged_days(10.0, 3, 0.5, DecayPolicy(session_days=7.0)) == 10.0


def test_without_session_days_or_a_session_the_calendar_counts() -> None:
    assert (
        aged_days(90.0, 3, 0.0, DecayPolicy(session_days=None)),
        aged_days(90.0, None, 0.0, DecayPolicy()),
    ) == (90.0, 90.0)


def _monthly(store: MemoryStore, clock: ManualClock, sessions: int) -> str:
    """Write an unused memory in session 1, then one memory in each later monthly session."""
    first = store.add("c1", "We went to the lido on Sunday.", session_id="s1").id
    for n in range(2, sessions + 1):
        clock.advance(timedelta(days=30))
        store.add("c1", f"Session {n} small talk.", session_id=f"s{n}")
    return first


def test_a_monthly_client_keeps_what_a_weekly_client_keeps(
    make_ephemeral_store,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    store = make_ephemeral_store(policy=DecayPolicy(session_days=7.0))
    first = _monthly(store, clock, sessions=3)
    assert first not in store.archive_forgotten("c1")


def test_the_calendar_policy_forgets_the_monthly_clients_memory(
    make_ephemeral_store,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    store = make_ephemeral_store(policy=DecayPolicy(session_days=None))
    first = _monthly(store, clock, sessions=3)
    assert first in store.archive_forgotten("c1")


def test_weekly_sessions_age_a_memory_by_its_calendar_age(
    make_ephemeral_store,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    store = make_ephemeral_store(policy=DecayPolicy(session_days=7.0))
    store.add("c1", "We went to the lido on Sunday.", session_id="s1")
    for n in range(2, 5):
        clock.advance(timedelta(days=7))
        store.add("c1", f"Session {n} small talk.", session_id=f"s{n}")
    clock.advance(timedelta(hours=1))
    hit = next(h for h in store.search("c1", "lido", k=5) if "lido" in h.item.text)
    assert hit.retention == pytest.approx(math.exp(-(21 + 1 / 24) / 7.0), rel=1e-9)


def test_a_memory_from_outside_any_session_ages_by_the_calendar(
    make_ephemeral_store,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    store = make_ephemeral_store(policy=DecayPolicy(session_days=7.0))
    imported = store.add("c1", "Referral letter: low mood since the spring.").id
    _monthly(store, clock, sessions=3)
    assert imported in store.archive_forgotten("c1")
