"""Read-only views of a client's memory for notebooks: tables, curves, explanations, forecasts.

Every function is pure with respect to the store: none writes, none appends to the trace.
pandas is imported inside each function, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from memory import _validation as v
from memory.decay import DecayPolicy, elapsed_days, item_retention, retention
from memory.errors import InvalidInputError
from memory.models import MemoryItem, TraceEvent

if TYPE_CHECKING:
    import pandas as pd

    from memory.store import MemoryStore

__all__ = [
    "items_table",
    "retention_curve",
    "recall_timeline",
    "explain_search",
    "forecast_archive",
]


def items_table(store: MemoryStore, client_id: str, now: datetime | None = None) -> pd.DataFrame:
    """Return one row per memory (archived included) with its retention at ``now``.

    Columns: id, kind, text, session_id, created, last_recalled, strength, recall_count,
    retention, pinned, archived.
    """
    import pandas as pd

    at = store.now() if now is None else v.check_time(now, "now")
    rows = [
        {
            "id": i.id,
            "kind": i.kind,
            "text": i.text,
            "session_id": i.session_id,
            "created": i.created_at,
            "last_recalled": i.last_recalled_at,
            "strength": i.strength,
            "recall_count": i.recall_count,
            "retention": item_retention(i, at, store.policy),
            "pinned": i.pinned,
            "archived": i.archived,
        }
        for i in store.items(client_id, include_archived=True)
    ]
    columns = [
        "id", "kind", "text", "session_id", "created", "last_recalled", "strength",
        "recall_count", "retention", "pinned", "archived",
    ]
    return pd.DataFrame(rows, columns=columns)


def retention_curve(
    item: MemoryItem,
    trace: Sequence[TraceEvent],
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(hours=6),
    *,
    policy: DecayPolicy | None = None,
) -> pd.DataFrame:
    """Rebuild the saw-tooth retention of ``item`` between ``start`` and ``end`` from its trace.

    Each ``reinforce`` event restarts the curve at 1 with the strength it recorded; before the
    first one the curve starts at creation with the initial strength (taken from the ``add``
    event, or inferred from the first reinforcement). Reinforcement instants appear twice, just
    before (the drop) and at the event (back to 1), so a plot shows the jumps.

    Args:
        item: The memory (its id selects the events).
        trace: The client's trace (``store.trace(client_id)``).
        start: First time on the curve.
        end: Last time on the curve.
        step: Sampling interval.
        policy: The store's decay policy (``store.policy``); default :class:`DecayPolicy`.

    Returns:
        Columns ``at``, ``retention``, ``strength``, ``event`` (``None`` or ``"reinforce"``).

    Raises:
        InvalidInputError: ``end`` precedes ``start``, ``step`` is not positive, or naive times.
    """
    import pandas as pd

    policy = policy or DecayPolicy()
    t0, t1 = v.check_time(start, "start"), v.check_time(end, "end")
    if t1 < t0:
        raise InvalidInputError(f"end {t1!r} precedes start {t0!r}")
    if step <= timedelta(0):
        raise InvalidInputError(f"step must be positive, got {step!r}")
    events = sorted(
        (e for e in trace if e.item_id == item.id and e.kind in ("add", "reinforce", "restore")),
        key=lambda e: e.at,
    )
    reinforcements = [e for e in events if e.kind in ("reinforce", "restore")]
    added = next((e for e in events if e.kind == "add"), None)
    if added is not None and added.strength_after is not None:
        s0 = added.strength_after
    elif reinforcements and reinforcements[0].strength_before is not None:
        s0 = reinforcements[0].strength_before
    else:
        s0 = item.strength
    # (time, strength) at which each segment of the curve starts
    segments = [(item.created_at, s0)]
    segments += [(e.at, e.strength_after or s0) for e in reinforcements]

    def point(at: datetime) -> tuple[float, float]:
        begin, strength = segments[0]
        for seg_at, seg_strength in segments:
            if seg_at <= at:
                begin, strength = seg_at, seg_strength
        if item.pinned:
            return 1.0, strength
        if at < item.created_at:
            return math.nan, strength
        return retention(elapsed_days(begin, at), strength, policy.k), strength

    times: list[tuple[datetime, str | None]] = []
    t = t0
    while t <= t1:
        times.append((t, None))
        t += step
    for e in reinforcements:
        if t0 <= e.at <= t1:
            times.append((e.at - timedelta(microseconds=1), None))
            times.append((e.at, e.kind))
    times.sort(key=lambda pair: pair[0])
    rows = []
    for at, event in times:
        r, s = point(at)
        rows.append({"at": at, "retention": r, "strength": s, "event": event})
    return pd.DataFrame(rows, columns=["at", "retention", "strength", "event"])


def recall_timeline(store: MemoryStore, client_id: str) -> pd.DataFrame:
    """Return the client's trace as a table, oldest first, with each item's kind and text.

    Columns: at, event, item_id, kind, text, query, score, retention_before, retention_after,
    strength_before, strength_after. Purged items keep their rows with an empty text.
    """
    import pandas as pd

    known = {i.id: i for i in store.items(client_id, include_archived=True)}
    rows = []
    for e in store.trace(client_id):
        item = known.get(e.item_id)
        rows.append(
            {
                "at": e.at,
                "event": e.kind,
                "item_id": e.item_id,
                "kind": item.kind if item else None,
                "text": item.text if item else None,
                "query": e.query,
                "score": e.score,
                "retention_before": e.retention_before,
                "retention_after": e.retention_after,
                "strength_before": e.strength_before,
                "strength_after": e.strength_after,
            }
        )
    columns = [
        "at", "event", "item_id", "kind", "text", "query", "score", "retention_before",
        "retention_after", "strength_before", "strength_after",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("at", kind="stable", ignore_index=True)


def explain_search(
    store: MemoryStore,
    client_id: str,
    query: str,
    now: datetime | None = None,
    *,
    k: int = 10,
) -> pd.DataFrame:
    """Return the top ``k`` hits for ``query`` with each component of their score.

    Columns: rank, id, kind, text, similarity, lexical, retention, dense_part, lexical_part,
    decay_factor, score. ``score = (dense_part + lexical_part) * decay_factor``. Nothing is
    written to the trace.
    """
    import pandas as pd

    w = store.ranking
    rows = []
    for hit in store.search(client_id, query, k=k, now=now, record=False):
        rows.append(
            {
                "rank": hit.rank,
                "id": hit.item.id,
                "kind": hit.item.kind,
                "text": hit.item.text,
                "similarity": hit.similarity,
                "lexical": hit.lexical,
                "retention": hit.retention,
                "dense_part": w.dense_weight * max(hit.similarity, 0.0),
                "lexical_part": w.lexical_weight * hit.lexical,
                "decay_factor": 1.0 - w.retention_weight + w.retention_weight * hit.retention,
                "score": hit.score,
            }
        )
    columns = [
        "rank", "id", "kind", "text", "similarity", "lexical", "retention", "dense_part",
        "lexical_part", "decay_factor", "score",
    ]
    return pd.DataFrame(rows, columns=columns)


def forecast_archive(
    store: MemoryStore, client_id: str, days: float, now: datetime | None = None
) -> list[MemoryItem]:
    """Return the memories ``archive_forgotten`` would archive ``days`` from ``now``.

    Assumes no memory is reinforced meanwhile. Pinned and already archived memories never appear.

    Raises:
        InvalidInputError: ``days`` is negative or not finite.
    """
    if isinstance(days, bool) or not isinstance(days, int | float) or not math.isfinite(days):
        raise InvalidInputError(f"days must be a finite number, got {days!r}")
    if days < 0:
        raise InvalidInputError(f"days must be >= 0, got {days!r}; the forecast looks ahead")
    at = (store.now() if now is None else v.check_time(now, "now")) + timedelta(days=days)
    threshold = store.policy.archive_threshold
    return [
        i
        for i in store.items(client_id)
        if not i.pinned and item_retention(i, at, store.policy) < threshold
    ]
