"""Long-term memory of theraloop: per-client Chroma collections with Ebbinghaus forgetting.

Importing this package loads neither chromadb, torch nor sentence-transformers; they are
imported where a backend is built (:func:`open_chroma_client`, :class:`MiniLMEmbedder`).

Example:
    >>> from datetime import UTC, datetime
    >>> from theraloop.memory import HashingEmbedder, ManualClock, MemoryStore, open_chroma_client
    >>> store = MemoryStore(client=open_chroma_client(), embedder=HashingEmbedder(),
    ...                     clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)), namespace="doc")
    >>> _ = store.add("c1", "Walking in the park helps my mood.")
    >>> [h.item.text for h in store.search("c1", "what helps the mood?", k=1)]
    ['Walking in the park helps my mood.']
    >>> _ = store.erase_client("c1")
"""

from theraloop.memory.cache import default_cache_dir
from theraloop.memory.clock import Clock, ManualClock, require_aware, system_clock
from theraloop.memory.decay import DecayPolicy, retention
from theraloop.memory.embeddings import CachingEmbedder, Embedder, HashingEmbedder, MiniLMEmbedder
from theraloop.memory.errors import (
    EmbedderMismatchError,
    EmbedderUnavailableError,
    InvalidInputError,
    NotFoundError,
    StoreError,
    TheraloopError,
    UnknownClientError,
)
from theraloop.memory.models import (
    MAX_TEXT_CHARS,
    EraseReport,
    MemoryItem,
    MemoryKind,
    NewMemory,
    SearchHit,
    TraceEvent,
)
from theraloop.memory.protocol import LongTermMemory
from theraloop.memory.ranking import RankingPolicy
from theraloop.memory.store import MemoryStore, open_chroma_client

__all__ = [
    "LongTermMemory",
    "MemoryStore",
    "open_chroma_client",
    "MemoryItem",
    "MemoryKind",
    "NewMemory",
    "SearchHit",
    "TraceEvent",
    "EraseReport",
    "MAX_TEXT_CHARS",
    "DecayPolicy",
    "RankingPolicy",
    "retention",
    "Embedder",
    "MiniLMEmbedder",
    "HashingEmbedder",
    "CachingEmbedder",
    "Clock",
    "ManualClock",
    "system_clock",
    "default_cache_dir",
    "require_aware",
    "TheraloopError",
    "InvalidInputError",
    "UnknownClientError",
    "NotFoundError",
    "EmbedderMismatchError",
    "EmbedderUnavailableError",
    "StoreError",
]
