"""Ebbinghaus forgetting: pure functions of elapsed time and strength, with "now" passed in.

``R = exp(-dt / (k * S))``: ``dt`` is the time since the memory was formed or last confirmed as
used (in days), ``S`` its strength and ``k`` a policy constant that sets the time scale. A
confirmed use adds ``recall_increment`` to ``S`` and restarts ``dt`` at zero, which gives the
saw-tooth of spaced repetition: each review lifts R back to 1 and flattens the next decline.

Forgetting is driven by what happens between uses more than by the calendar (Jenkins and
Dallenbach 1924; Waugh and Norman 1965: interference, not time, explains most forgetting). A
client's sessions are where a memory could be used, so with ``session_days`` set a memory formed
in a session ages by at most that many days per later session of the client (see
:func:`aged_days`): a monthly client keeps as much as a weekly one after the same number of
sessions, and a weekly client's memories age as before. Memories formed outside a session age by
the calendar.

MemoryBank's published code computes ``exp(-t / 5 * S)``, i.e. ``exp(-t * S / 5)``, which makes
strong memories fade *faster*; the tests here pin the closed-form values of the formula above.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from theraloop.memory.clock import require_aware
from theraloop.memory.errors import InvalidInputError
from theraloop.memory.models import MemoryItem

__all__ = [
    "DecayPolicy",
    "retention",
    "elapsed_days",
    "aged_days",
    "initial_strength",
    "reinforced_strength",
    "item_retention",
    "days_until",
]

_SECONDS_PER_DAY = 86_400.0


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be finite, got {value!r}")
    return value


def retention(dt_days: float, strength: float, k: float = 1.0) -> float:
    """Return the Ebbinghaus retention ``exp(-dt / (k * S))`` in [0, 1].

    Args:
        dt_days: Days since the memory was formed or last reinforced (>= 0).
        strength: Memory strength S (> 0); larger means slower forgetting.
        k: Time-scale constant of the policy (> 0).

    Raises:
        InvalidInputError: a value is NaN, infinite, negative (``dt_days``) or not positive.

    Example:
        >>> round(retention(7, strength=2, k=5), 4)
        0.4966
    """
    dt = _finite(dt_days, "dt_days")
    s = _finite(strength, "strength")
    scale = _finite(k, "k")
    if dt < 0:
        raise InvalidInputError(f"dt_days must be >= 0, got {dt_days!r}; pass the elapsed time")
    if s <= 0:
        raise InvalidInputError(f"strength must be > 0, got {strength!r}")
    if scale <= 0:
        raise InvalidInputError(f"k must be > 0, got {k!r}")
    return math.exp(-dt / (scale * s))


class DecayPolicy(BaseModel):
    """How fast memories fade and when they are archived.

    With the defaults an ordinary memory (S = 1) keeps R ~ 0.37 after a week and is archived
    after about 27 days without a confirmed use; every use adds 1 to S, so a memory recalled in
    three sessions fades four times more slowly than a new one.

    Example:
        >>> policy = DecayPolicy(k=5.0)
        >>> round(retention(7, 2.0, policy.k), 4)
        0.4966
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    k: float = Field(default=7.0, gt=0, allow_inf_nan=False)
    """Time scale in days: a memory of strength S keeps R = 1/e after k*S days."""
    archive_threshold: float = Field(default=0.02, ge=0, lt=1, allow_inf_nan=False)
    """Below this retention an unpinned memory is archived by ``archive_forgotten``."""
    initial_strength: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    """Strength of a new memory of ordinary importance (0.5 or less)."""
    importance_gain: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    """Extra initial strength at importance 1 (linear from importance 0.5)."""
    recall_increment: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    """Strength added by each confirmed use."""
    max_strength: float = Field(default=1000.0, gt=0, allow_inf_nan=False)
    """Upper bound on strength, so arithmetic stays well-behaved for ever-recalled items."""
    session_days: float | None = Field(default=7.0, gt=0, allow_inf_nan=False)
    """Most days a session memory ages per later session of the client; ``None``: calendar only."""

    @model_validator(mode="after")
    def _bounds(self) -> DecayPolicy:
        if self.max_strength < self.initial_strength + self.importance_gain:
            raise ValueError(
                f"max_strength={self.max_strength!r} is below the largest initial strength "
                f"{self.initial_strength + self.importance_gain!r}; raise max_strength"
            )
        return self


def elapsed_days(since: datetime, now: datetime) -> float:
    """Return the days from ``since`` to ``now``; a ``now`` before ``since`` counts as 0.

    Raises:
        InvalidInputError: either datetime is naive.
    """
    require_aware(since, "since")
    require_aware(now, "now")
    return max(0.0, (now - since).total_seconds() / _SECONDS_PER_DAY)


def aged_days(
    dt_days: float, sessions_since: int | None, into_session_days: float, policy: DecayPolicy
) -> float:
    """Return the age decay counts: ``dt_days``, capped at ``session_days`` per later session.

    The cap is ``session_days`` for each of the client's sessions that began after the memory's
    last use, plus the time since the latest session began, so a client who comes exactly every
    ``session_days`` ages memories by the calendar.

    Args:
        dt_days: Calendar days since the memory's last use.
        sessions_since: The client's sessions begun after that use; ``None`` for a memory formed
            outside any session, which ages by the calendar.
        into_session_days: Days since the client's latest session began.
        policy: The decay policy (``session_days=None`` means the calendar alone).

    Example:
        >>> aged_days(60.0, 2, 0.0, DecayPolicy())  # two monthly sessions age it like two weekly
        14.0
        >>> aged_days(6.0, 2, 0.0, DecayPolicy())  # never older than the calendar says
        6.0
    """
    if policy.session_days is None or sessions_since is None:
        return dt_days
    return min(dt_days, policy.session_days * sessions_since + into_session_days)


def initial_strength(policy: DecayPolicy, importance: float) -> float:
    """Return the starting strength of a memory: important ones start stronger.

    Raises:
        InvalidInputError: ``importance`` is not a finite number in [0, 1].
    """
    value = _finite(importance, "importance")
    if not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"importance must be in [0, 1], got {importance!r}")
    bonus = policy.importance_gain * max(0.0, value - 0.5) * 2.0
    return policy.initial_strength + bonus


def reinforced_strength(policy: DecayPolicy, strength: float) -> float:
    """Return the strength after one confirmed use (capped at ``max_strength``)."""
    return min(policy.max_strength, _finite(strength, "strength") + policy.recall_increment)


def item_retention(item: MemoryItem, now: datetime, policy: DecayPolicy) -> float:
    """Return the retention of ``item`` at ``now`` (1.0 for pinned items, which never fade)."""
    if item.pinned:
        return 1.0
    return retention(elapsed_days(item.last_recalled_at, now), item.strength, policy.k)


def days_until(item: MemoryItem, threshold: float, policy: DecayPolicy) -> float:
    """Return the days after its last recall at which ``item`` falls below ``threshold``.

    ``math.inf`` for pinned items or a threshold of 0; 0 for a threshold of 1 or more.
    """
    if item.pinned or threshold <= 0:
        return math.inf
    if threshold >= 1:
        return 0.0
    return -math.log(threshold) * policy.k * item.strength
