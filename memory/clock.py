"""Clocks: time is injected everywhere so simulations can fast-forward days."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from theraloop.memory.errors import InvalidInputError

__all__ = ["Clock", "system_clock", "ManualClock", "require_aware"]

Clock = Callable[[], datetime]
"""Any zero-argument callable returning a timezone-aware ``datetime``."""


def system_clock() -> datetime:
    """Return the current UTC time."""
    return datetime.now(UTC)


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged, or raise if it has no timezone.

    Raises:
        InvalidInputError: ``value`` is naive; theraloop never guesses a timezone.
    """
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            f"{name} must be timezone-aware, got naive {value!r}; "
            "use datetime(..., tzinfo=datetime.UTC)"
        )
    return value


class ManualClock:
    """A clock that only moves when told to, for simulations and tests.

    Example:
        >>> from datetime import UTC, datetime, timedelta
        >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        >>> clock.advance(timedelta(days=7)).day
        8
    """

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """Return the current (manually set) time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by ``delta`` and return the new now."""
        if delta < timedelta(0):
            raise InvalidInputError(f"a clock cannot go backwards, got {delta!r}")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (must not be earlier than now)."""
        when = require_aware(when, "when")
        with self._lock:
            if when < self._now:
                raise InvalidInputError(f"a clock cannot go backwards: {when!r} < {self._now!r}")
            self._now = when
