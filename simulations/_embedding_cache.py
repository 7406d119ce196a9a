"""Share sentence embeddings between the many agents of one simulation run.

Each client gets its own agent, and every agent embeds the same fixed texts when it is built or
first used (perception prototypes, the safety classifier's examples). Wrapping the one embedder
of a run in a text -> vector cache makes the second and later agents cheap. Vectors are exactly
the inner embedder's, so results do not change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

__all__ = ["CachingEmbedder"]


class CachingEmbedder:
    """An embedder that remembers the vectors of texts it has embedded (thread-safe, bounded).

    It keeps the inner embedder's ``name`` and ``dimensions``, so stores built with either
    agree.
    """

    def __init__(self, inner: Any, max_items: int = 200_000) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.dimensions: int = inner.dimensions
        self.max_items = max_items
        self._docs: OrderedDict[str, list[float]] = OrderedDict()
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, cache: OrderedDict[str, list[float]], text: str, vec: list[float]) -> None:
        cache[text] = vec
        if len(cache) > self.max_items:
            cache.popitem(last=False)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Return document vectors, computing only the texts not seen before."""
        texts = list(texts)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._docs))
        if missing:
            vectors = self.inner.embed_documents(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._remember(self._docs, text, list(vec))
        with self._lock:
            out = []
            for text in texts:
                vec = self._docs.get(text)
                if vec is None:  # evicted meanwhile: recompute this one
                    vec = list(self.inner.embed_documents([text])[0])
                out.append(vec)
            return out

    def embed_query(self, text: str) -> list[float]:
        """Return a query vector, cached by text."""
        with self._lock:
            vec = self._queries.get(text)
        if vec is None:
            vec = list(self.inner.embed_query(text))
            with self._lock:
                self._remember(self._queries, text, vec)
        return vec
