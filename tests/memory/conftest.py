"""Fixtures of the memory suite: one conformance suite over every Chroma backend.

The conformance tests take ``store`` / ``make_store``, typed as the
:class:`~theraloop.memory.LongTermMemory` protocol, and use only its calls; the inspection tests
take the concrete :class:`~theraloop.memory.MemoryStore` (``make_ephemeral_store``).

``backend`` is parametrized over ``ephemeral`` (in-process, in memory), ``persistent`` (files in
``tmp_path``) and ``server`` (a real ``chroma run`` process started once per session). The root
``tests/conftest.py`` provides the session-scoped real MiniLM embedder (``minilm``) and ``t0``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.services import ChromaServer, chroma_binary
from theraloop.memory import (
    HashingEmbedder,
    LongTermMemory,
    ManualClock,
    MemoryStore,
    open_chroma_client,
)

BACKENDS = ("ephemeral", "persistent", "server")


@dataclass
class Backend:
    """A Chroma database a test can open several handles to."""

    name: str
    path: Path | None = None
    url: str | None = None

    def open(self) -> Any:
        """Open a new client handle to the same database."""
        return open_chroma_client(path=self.path, url=self.url)

    def wipe(self) -> None:
        """Drop every collection (in-memory and server databases outlive a test)."""
        client = self.open()
        for col in client.list_collections():
            client.delete_collection(name=col.name)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server on 127.0.0.1 for the whole session."""
    if chroma_binary() is None:
        pytest.skip("the `chroma` CLI is not installed (it ships with chromadb): no server tests")
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server


def _backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if name == "ephemeral":
        backend = Backend("ephemeral")
    elif name == "persistent":
        backend = Backend("persistent", path=tmp_path / "chroma")
    else:
        server: ChromaServer = request.getfixturevalue("chroma_server")
        backend = Backend("server", url=server.url)
    if name != "persistent":
        backend.wipe()
    yield backend
    if name != "persistent":
        backend.wipe()


@pytest.fixture(
    params=[pytest.param(b, marks=pytest.mark.server) if b == "server" else b for b in BACKENDS]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Every backend in turn."""
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def ephemeral(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The in-memory backend only (tests whose subject does not depend on the backend)."""
    yield from _backend("ephemeral", request, tmp_path)


@pytest.fixture
def clock(t0: datetime) -> ManualClock:
    return ManualClock(t0)


@pytest.fixture
def hashing() -> HashingEmbedder:
    return HashingEmbedder(dim=64)


StoreFactory = Callable[..., MemoryStore]
MemoryFactory = Callable[..., LongTermMemory]


def _factory(backend: Backend, clock: ManualClock, tmp_path: Path) -> StoreFactory:
    def make(embedder: Any = None, **kwargs: Any) -> MemoryStore:
        kwargs.setdefault("trace_dir", tmp_path / "traces")
        return MemoryStore(
            client=backend.open(),
            embedder=embedder if embedder is not None else HashingEmbedder(dim=64),
            clock=clock,
            **kwargs,
        )

    return make


@pytest.fixture
def make_store(backend: Backend, clock: ManualClock, tmp_path: Path) -> MemoryFactory:
    """Build stores over the parametrized backend (each call opens a new client handle)."""
    return _factory(backend, clock, tmp_path)


@pytest.fixture
def store(make_store: MemoryFactory) -> LongTermMemory:
    """A store with the hashing embedder and a JSONL trace dir, on every backend."""
    return make_store()


@pytest.fixture
def make_ephemeral_store(ephemeral: Backend, clock: ManualClock, tmp_path: Path) -> StoreFactory:
    return _factory(ephemeral, clock, tmp_path)


@pytest.fixture
def mem_store(make_ephemeral_store: StoreFactory) -> MemoryStore:
    """An in-memory store (for tests that are about validation or pure logic)."""
    return make_ephemeral_store()
