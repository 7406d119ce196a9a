"""Trace events the store writes: one constructor, so every event carries the same fields."""

from __future__ import annotations

import math
from datetime import datetime

from theraloop.memory.decay import DecayPolicy, item_retention
from theraloop.memory.models import MemoryItem, TraceEvent, TraceKind


def event(
    kind: TraceKind,
    item: MemoryItem,
    at: datetime,
    r_before: float | None,
    r_after: float | None,
    s_before: float | None,
    s_after: float | None,
    *,
    query: str | None = None,
    score: float | None = None,
    detail: str | None = None,
) -> TraceEvent:
    """Return the trace event of ``kind`` for ``item`` (an infinite retention becomes ``None``)."""
    return TraceEvent(
        kind=kind,
        client_id=item.client_id,
        item_id=item.id,
        at=at,
        query=query,
        retention_before=_finite_or_none(r_before),
        retention_after=_finite_or_none(r_after),
        strength_before=s_before,
        strength_after=s_after,
        score=score,
        detail=detail,
    )


def written_event(
    item: MemoryItem, old: MemoryItem | None, now: datetime, policy: DecayPolicy
) -> TraceEvent:
    """Return the ``add`` event of a new item, or the ``update`` event of a rewritten one."""
    r = item_retention(item, now, policy)
    if old is None:
        return event("add", item, now, None, r, None, item.strength)
    detail = f"previous version {old.version}: {old.text}" if old.text != item.text else None
    return event(
        "update",
        item,
        now,
        item_retention(old, now, policy),
        r,
        old.strength,
        item.strength,
        detail=detail,
    )


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
