"""The long-term memory interface the agent is written against.

:class:`LongTermMemory` names the operations the therapist's graphs and facade call (recall,
write, reinforce, forget, archive, export, erase) and the reads that inspection and the
conformance tests use. :class:`theraloop.memory.MemoryStore` (Chroma, embedded or server) is the
implementation; another backend satisfies the protocol structurally, without inheriting from it.
The memory conformance suite (``tests/memory``) runs against this protocol on every backend.

Example:
    >>> from theraloop.memory import HashingEmbedder, MemoryStore, open_chroma_client
    >>> store = MemoryStore(client=open_chroma_client(), embedder=HashingEmbedder(),
    ...                     namespace="protodoc")
    >>> isinstance(store, LongTermMemory)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from theraloop.memory.facts import ForgetRequest
from theraloop.memory.models import (
    EraseReport,
    MemoryItem,
    MemoryKind,
    NewMemory,
    SearchHit,
    TraceEvent,
)

__all__ = ["LongTermMemory"]


@runtime_checkable
class LongTermMemory(Protocol):
    """Per-client long-term memory with forgetting; every call touches one client only.

    Datetimes are timezone-aware; a call without ``now`` uses the backend's clock. A client the
    backend has never seen reads as one with no memories (``search``, ``items``, ``forget``);
    calls that need existing memories raise :class:`theraloop.memory.UnknownClientError`.
    """

    def add(
        self,
        client_id: str,
        text: str,
        *,
        kind: MemoryKind = "turn",
        session_id: str | None = None,
        speaker: str | None = None,
        importance: float = 0.5,
        emotion_tags: Sequence[str] = (),
        source_ids: Sequence[str] = (),
        pinned: bool = False,
        context: str | None = None,
        created_at: datetime | None = None,
        strength: float | None = None,
        item_id: str | None = None,
        fact_key: str | None = None,
    ) -> MemoryItem:
        """Remember one thing; writing an existing ``item_id`` again updates it in place."""
        ...

    def add_many(
        self, client_id: str, records: Sequence[Mapping[str, Any] | NewMemory]
    ) -> list[MemoryItem]:
        """Remember several things at once; all are validated before any is written."""
        ...

    def search(
        self,
        client_id: str,
        query: str,
        k: int = 5,
        now: datetime | None = None,
        *,
        kinds: str | Sequence[str] | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        record: bool = True,
        include_superseded: bool = False,
        exclude_session_id: str | None = None,
        distinct: bool = False,
    ) -> list[SearchHit]:
        """Return the ``k`` most relevant current memories, best first, with their scores."""
        ...

    def get(self, client_id: str, item_id: str) -> MemoryItem:
        """Return one memory (archived ones too)."""
        ...

    def items(
        self,
        client_id: str,
        *,
        kinds: str | Sequence[str] | None = None,
        include_archived: bool = False,
    ) -> list[MemoryItem]:
        """Return the client's memories, oldest first."""
        ...

    def reinforce(
        self,
        client_id: str,
        item_ids: Sequence[str],
        *,
        now: datetime | None = None,
        query: str | None = None,
    ) -> list[MemoryItem]:
        """Strengthen the memories a reply used and restart their forgetting clocks."""
        ...

    def forget(
        self,
        client_id: str,
        request: ForgetRequest,
        *,
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Delete what the client asked to forget and what was derived from it; return the ids."""
        ...

    def archive_forgotten(self, client_id: str, now: datetime | None = None) -> list[str]:
        """Move memories whose retention fell below the threshold out of search; return the ids."""
        ...

    def current_facts(self, client_id: str) -> dict[str, MemoryItem]:
        """Return, per fact key, the memory that holds it now (none superseded or archived)."""
        ...

    def restore(
        self, client_id: str, item_ids: Sequence[str], *, now: datetime | None = None
    ) -> list[MemoryItem]:
        """Bring archived memories back into search, their forgetting clocks restarted."""
        ...

    def purge_archived(self, client_id: str) -> int:
        """Delete the client's archived memories for good; return how many."""
        ...

    def clients(self) -> list[str]:
        """Return the ids of every client held, sorted."""
        ...

    def has_client(self, client_id: str) -> bool:
        """Return whether any memory of ``client_id`` is stored."""
        ...

    def trace(self, client_id: str) -> list[TraceEvent]:
        """Return the client's memory trace, oldest first."""
        ...

    def export_client(self, client_id: str) -> dict[str, Any]:
        """Return everything stored about the client as JSON-ready data."""
        ...

    def erase_client(self, client_id: str) -> EraseReport:
        """Delete every trace of the client; idempotent."""
        ...
