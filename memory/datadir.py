"""The layout of an agent's data directory, and opening the memory kept in one.

A data directory (``Settings.data_dir``, or ``RUN/clients/<id>`` of a simulation run) keeps the
embedded Chroma database in :data:`CHROMA_DIR` and the per-client memory traces in
:data:`TRACE_DIR`. The agent writes there; :func:`open_memory_dir` reopens it to read it (the
tables and plots of :mod:`theraloop.memory.inspect` take the store it returns).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from theraloop.memory.clock import Clock, system_clock
from theraloop.memory.decay import DecayPolicy
from theraloop.memory.embeddings import Embedder, MiniLMEmbedder
from theraloop.memory.errors import InvalidInputError
from theraloop.memory.store import MemoryStore, open_chroma_client

__all__ = ["CHROMA_DIR", "TRACE_DIR", "open_memory_dir"]

CHROMA_DIR = "chroma"
"""Folder of a data directory that holds the embedded Chroma database."""
TRACE_DIR = "memory-trace"
"""Folder of a data directory that holds the per-client JSON Lines memory traces."""


class _LazyMiniLM:
    """MiniLM's name and dimensions at once, its weights only when something is embedded.

    Tables, curves and forecasts never embed, so opening a store to look at it stays instant;
    only :func:`theraloop.memory.inspect.explain_search` pays for loading the model.
    """

    def __init__(self) -> None:
        self.name: str = MiniLMEmbedder.name
        self.dimensions: int = MiniLMEmbedder.dimensions
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    def _get(self) -> Embedder:
        with self._lock:
            if self._model is None:
                self._model = MiniLMEmbedder()
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


def open_memory_dir(
    data_dir: str | Path,
    *,
    embedder: Embedder | None = None,
    clock: Clock | None = None,
    policy: DecayPolicy | None = None,
) -> MemoryStore:
    """Open the memory kept in an agent's data directory, to inspect it.

    A data directory (``Settings.data_dir``, or ``RUN/clients/<id>`` of a simulation run) keeps
    the embedded Chroma database in :data:`CHROMA_DIR` and the traces in :data:`TRACE_DIR`.
    The inspection functions (:mod:`theraloop.memory.inspect`) only read the store. An
    embedded Chroma belongs to one process: inspect a live agent's data while it is stopped.

    Args:
        data_dir: The data directory.
        embedder: The embedder the memories were written with; default MiniLM (the agent's),
            loaded only when a query is embedded.
        clock: "Now" for retention; default the system clock. For a simulation pass its
            simulated time (``theraloop.simulations.open_client_memory`` does).
        policy: Forgetting constants; default :class:`DecayPolicy` (the agent's).

    Raises:
        InvalidInputError: ``data_dir`` holds no Chroma folder (memory was off, or the agent
            used a Chroma server: open that with ``MemoryStore(open_chroma_client(url=...))``).
    """
    root = Path(data_dir)
    chroma = root / CHROMA_DIR
    if not chroma.is_dir():
        raise InvalidInputError(
            f"{str(root)!r} holds no memory (no {CHROMA_DIR}/ folder): was memory off "
            "(use_memory=False, ablation no-memory) or kept on a Chroma server? Pass the agent's "
            "data_dir, or a simulation run's clients/<client_id> folder"
        )
    return MemoryStore(
        client=open_chroma_client(path=chroma),
        embedder=embedder if embedder is not None else _LazyMiniLM(),
        clock=clock if clock is not None else system_clock,
        policy=policy,
        trace_dir=root / TRACE_DIR,
    )
