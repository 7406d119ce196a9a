"""Search over one client's snapshot: filter the candidates, score them, keep the best ``k``.

Pure functions of a :class:`~theraloop.memory._snapshot.Snapshot`; the score itself is
:mod:`theraloop.memory.ranking`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from theraloop.memory._lexical import tokenize
from theraloop.memory._snapshot import Snapshot
from theraloop.memory.decay import DecayPolicy
from theraloop.memory.models import SearchHit
from theraloop.memory.ranking import RankingPolicy, hybrid_scores, normalised_lexical


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFilter:
    """Which of a client's memories a search may return (all fields already validated)."""

    kinds: frozenset[str] | None = None
    """Only these kinds; ``None`` for every kind."""
    session_id: str | None = None
    """Only memories of this session."""
    exclude_session_id: str | None = None
    """Leave out the memories of this session."""
    since: datetime | None = None
    """Only memories created at or after this time."""
    until: datetime | None = None
    """Only memories created at or before this time."""
    include_superseded: bool = False
    """Also admit memories a newer fact replaced."""


def candidates(snap: Snapshot, where: SearchFilter) -> np.ndarray:
    """Return the snapshot positions ``where`` admits (archived memories never)."""
    mask = ~snap.archived if where.include_superseded else ~snap.archived & ~snap.superseded
    if where.kinds is not None:
        mask &= np.isin(snap.kinds, list(where.kinds))
    if where.session_id is not None:
        mask &= snap.sessions == where.session_id
    if where.exclude_session_id is not None:
        mask &= snap.sessions != where.exclude_session_id
    if where.since is not None:
        mask &= snap.created_ts >= where.since.timestamp()
    if where.until is not None:
        mask &= snap.created_ts <= where.until.timestamp()
    return np.flatnonzero(mask)


def rank(
    snap: Snapshot,
    positions: np.ndarray,
    query: str,
    query_vec: np.ndarray,
    at: datetime,
    *,
    decay: DecayPolicy,
    ranking: RankingPolicy,
    k: int,
    distinct: bool,
) -> list[SearchHit]:
    """Return the best ``k`` hits among ``positions``, ties broken by the newest memory first.

    Args:
        snap: The client's memories.
        positions: Candidate positions in ``snap`` (from :func:`candidates`, non-empty).
        query: The query text (for BM25).
        query_vec: The query's unit vector.
        at: Time the retention is computed at.
        decay: Forgetting constants.
        ranking: Hybrid score weights.
        k: How many hits at most.
        distinct: Keep only the best hit of each text.
    """
    similarity = (snap.matrix @ query_vec)[positions].astype(np.float64)
    lexical = normalised_lexical(snap.lexical.get().scores(tokenize(query))[positions])
    retention = snap.retention(at, decay)[positions]
    score = hybrid_scores(similarity, lexical, retention, ranking)
    order = np.lexsort((-snap.created_ts[positions], -score))
    order = _first_distinct(snap, positions, order, k) if distinct else order[:k]
    return [
        SearchHit(
            item=snap.items[positions[j]],
            similarity=float(similarity[j]),
            lexical=float(lexical[j]),
            retention=float(retention[j]),
            score=float(score[j]),
            rank=n,
        )
        for n, j in enumerate(order.tolist(), 1)
    ]


def _first_distinct(snap: Snapshot, positions: np.ndarray, order: np.ndarray, k: int) -> np.ndarray:
    """Return the first ``k`` entries of ``order`` whose texts differ."""
    seen: set[str] = set()
    out: list[int] = []
    for j in order.tolist():
        text = snap.items[positions[j]].text
        if text not in seen:
            seen.add(text)
            out.append(j)
            if len(out) == k:
                break
    return np.asarray(out, dtype=np.int64)
