"""Immutable per-client snapshots: the items, unit vectors and tokens that search ranks over."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from theraloop.memory._lexical import LexicalIndex, tokenize
from theraloop.memory.decay import DecayPolicy
from theraloop.memory.models import MemoryItem

_SECONDS_PER_DAY = 86_400.0


@dataclass(slots=True)
class Lazy:
    """A lexical index built on first use, at most once, by whichever thread asks first."""

    tokens: tuple[tuple[str, ...], ...]
    index: LexicalIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> LexicalIndex:
        with self.lock:
            if self.index is None:
                self.index = LexicalIndex(self.tokens)
            return self.index


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of one client's memories at one collection revision."""

    rev: str
    items: tuple[MemoryItem, ...]
    matrix: np.ndarray
    lexical: Lazy
    positions: dict[str, int]
    kinds: np.ndarray
    sessions: np.ndarray
    created_ts: np.ndarray
    last_ts: np.ndarray
    strength: np.ndarray
    pinned: np.ndarray
    archived: np.ndarray
    superseded: np.ndarray
    current_facts: dict[str, int]
    """Fact key -> position of the one memory currently holding it."""
    session_starts: np.ndarray
    """Sorted timestamps of the first memory of each of the client's sessions."""

    @classmethod
    def build(
        cls,
        rev: str,
        items: Sequence[MemoryItem],
        matrix: np.ndarray,
        lexical: Lazy | None = None,
    ) -> Snapshot:
        tokens = lexical.tokens if lexical is not None else tokens_of(items)
        return cls(
            rev=rev,
            items=tuple(items),
            matrix=matrix,
            lexical=lexical if lexical is not None else Lazy(tokens),
            positions={item.id: i for i, item in enumerate(items)},
            kinds=np.array([i.kind for i in items], dtype=object),
            sessions=np.array([i.session_id or "" for i in items], dtype=object),
            created_ts=np.array([i.created_at.timestamp() for i in items], dtype=np.float64),
            last_ts=np.array([i.last_recalled_at.timestamp() for i in items], dtype=np.float64),
            strength=np.array([i.strength for i in items], dtype=np.float64),
            pinned=np.array([i.pinned for i in items], dtype=bool),
            archived=np.array([i.archived for i in items], dtype=bool),
            superseded=np.array([i.superseded_by is not None for i in items], dtype=bool),
            current_facts={
                i.fact_key: pos
                for pos, i in enumerate(items)
                if i.fact_key is not None and i.superseded_by is None
            },
            session_starts=_session_starts(items),
        )

    def retention(self, now: datetime, policy: DecayPolicy) -> np.ndarray:
        dt = np.maximum(0.0, now.timestamp() - self.last_ts) / _SECONDS_PER_DAY
        if policy.session_days is not None:  # decay.aged_days, vectorised
            later = len(self.session_starts) - np.searchsorted(
                self.session_starts, self.last_ts, side="right"
            )
            into = 0.0
            if len(self.session_starts):
                into = max(0.0, now.timestamp() - self.session_starts[-1]) / _SECONDS_PER_DAY
            cap = policy.session_days * later + into
            dt = np.where(self.sessions != "", np.minimum(dt, cap), dt)
        out = np.exp(-dt / (policy.k * self.strength))
        out[self.pinned] = 1.0
        return out


def keep_rows(snap: Snapshot, rev: str, rows: np.ndarray) -> Snapshot:
    """Return ``snap`` at revision ``rev`` with only the positions ``rows`` (in order) left."""
    kept = rows.tolist()
    tokens = tuple(snap.lexical.tokens[r] for r in kept)
    return Snapshot.build(rev, [snap.items[r] for r in kept], snap.matrix[rows], Lazy(tokens))


def _session_starts(items: Sequence[MemoryItem]) -> np.ndarray:
    first: dict[str, float] = {}
    for item in items:
        if item.session_id:
            ts = item.created_at.timestamp()
            first[item.session_id] = min(ts, first.get(item.session_id, ts))
    return np.sort(np.fromiter(first.values(), dtype=np.float64, count=len(first)))


def tokens_of(items: Sequence[MemoryItem]) -> tuple[tuple[str, ...], ...]:
    return tuple(item_tokens(i) for i in items)


def item_tokens(item: MemoryItem) -> tuple[str, ...]:
    """Index the text and its context together: a short answer is found through its question."""
    words = tokenize(item.text)
    if item.context:
        words += tokenize(item.context)
    return tuple(words)


def unit_rows(vectors: Sequence[Sequence[float]] | np.ndarray, dims: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, dims)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
