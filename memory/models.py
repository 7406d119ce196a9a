"""Records of the memory package: what is stored, what a search returns, what the trace keeps.

Every record is a frozen pydantic model, so a value handed to a caller can never change the store
behind its back; the store builds new records for every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

__all__ = [
    "MAX_TEXT_CHARS",
    "MemoryKind",
    "TraceKind",
    "MemoryItem",
    "NewMemory",
    "SearchHit",
    "TraceEvent",
    "EraseReport",
]

MAX_TEXT_CHARS = 32_000
"""Longest text (memory, context or query) the store accepts, in characters.

A therapy turn is a few hundred characters and a session summary a few thousand; 32,000 leaves
room for pasted letters or journal entries while keeping one item far below Chroma's limits and
the embedder's useful window (MiniLM reads the first 256 word pieces; the lexical index reads all).
"""

MemoryKind = Literal["turn", "session_summary", "portrait", "plan", "insight", "crisis"]
"""The memory hierarchy: turns -> session summaries -> insights.

``insight`` holds a distilled observation; ``crisis`` records a risk event and is always pinned.
``portrait`` and ``plan`` are no longer written (the agent's records keep a client's portrait and
plan); stores written by earlier versions may still hold one of each, readable and erasable.
"""

TraceKind = Literal[
    "add", "update", "recall", "reinforce", "archive", "restore", "purge", "supersede", "forget"
]
"""What a trace event records.

``recall``: an item was returned by a search (retention unchanged). ``reinforce``: a caller
confirmed the item was used, so its strength grew and its clock restarted. ``archive``/``restore``:
soft forgetting and its undo. ``purge``: an archived item was deleted. ``supersede``: a newer
memory with the same fact key replaced this one as current. ``forget``: the client asked for it to
be forgotten and it was deleted (the event keeps no text). Erasing a client deletes its
whole trace; the :class:`EraseReport` is the record of that.
"""

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class MemoryItem(BaseModel):
    """One thing the therapist remembers about one client.

    Example:
        >>> from datetime import UTC, datetime
        >>> t = datetime(2026, 1, 1, tzinfo=UTC)
        >>> item = MemoryItem(id="a", client_id="c1", kind="turn", text="I miss my sister.",
        ...                   created_at=t, updated_at=t, last_recalled_at=t, strength=1.0)
        >>> item.archived
        False
    """

    model_config = _FROZEN

    id: str
    """Unique within the client; chosen by the caller (idempotent writes) or a random hex id."""
    client_id: str
    """Owner of the memory; the store never returns it for another client."""
    kind: MemoryKind
    """Level in the memory hierarchy."""
    text: str
    """The remembered content, exactly as given."""
    context: str | None = None
    """Text this memory answers (e.g. the question before a reply); matched by search, not shown."""
    session_id: str | None = None
    """Session the memory came from, if any."""
    speaker: str | None = None
    """Who said it (``client``, ``therapist``, a name), if it is an utterance."""
    created_at: datetime
    """When the memory was formed (timezone-aware, UTC)."""
    updated_at: datetime
    """When its content last changed (creation, or a rewrite of its text)."""
    last_recalled_at: datetime
    """Start of the current forgetting curve: creation or the last confirmed use."""
    strength: float = Field(gt=0)
    """Ebbinghaus strength S: grows with every confirmed use, so the memory fades more slowly."""
    importance: float = Field(default=0.5, ge=0.0, le=1.0)
    """Caller's weight in [0, 1]; above 0.5 it raises the initial strength."""
    emotion_tags: tuple[str, ...] = ()
    """Emotions perceived when the memory was formed."""
    source_ids: tuple[str, ...] = ()
    """Items this one was derived from (the turns behind a summary, for instance)."""
    pinned: bool = False
    """Pinned memories (every ``crisis``) never fade and never archive."""
    archived: bool = False
    """Soft-forgotten: out of search, still stored, inspectable, restorable, purgeable."""
    archived_at: datetime | None = None
    """When it was archived, if it is."""
    recall_count: int = Field(default=0, ge=0)
    """How many confirmed uses reinforced it."""
    version: int = Field(default=1, ge=1)
    """Content version; grows when an item id is written again with a new text."""
    fact_key: str | None = None
    """What slot of the client's life it states (``residence``, ``name:sister``; see
    :mod:`theraloop.memory.facts`); a newer memory with the same key supersedes it."""
    superseded_by: str | None = None
    """Id of the newer memory that replaced it as current; kept for history, left out of search."""
    superseded_at: datetime | None = None
    """When the newer memory was formed (the end of this one's validity)."""


class NewMemory(BaseModel):
    """A memory to write with :meth:`MemoryStore.add_many`; the store fills in the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    text: str = Field(strict=True)
    """The content to remember (1 to ``MAX_TEXT_CHARS`` characters, not only whitespace)."""
    kind: MemoryKind = "turn"
    """Level in the hierarchy (not ``portrait`` or ``plan``: the agent's records keep those)."""
    session_id: str | None = Field(default=None, strict=True)
    """Session the memory came from."""
    speaker: str | None = Field(default=None, strict=True)
    """Who said it."""
    context: str | None = Field(default=None, strict=True)
    """Preceding text (e.g. the therapist's question) that makes a short answer findable."""
    importance: float = Field(default=0.5, strict=True)
    """Weight in [0, 1]; above 0.5 it raises the initial strength."""
    emotion_tags: tuple[StrictStr, ...] = ()
    """Emotions perceived with it."""
    source_ids: tuple[StrictStr, ...] = ()
    """Items it was derived from."""
    pinned: bool = Field(default=False, strict=True)
    """Never fades, never archives (forced on for ``crisis``)."""
    created_at: datetime | None = None
    """When it was formed; ``None`` means the store's clock (set it to import old records)."""
    strength: float | None = Field(default=None, strict=True)
    """Initial strength; ``None`` derives it from the decay policy and ``importance``."""
    item_id: str | None = Field(default=None, strict=True)
    """Stable id for idempotent writes (a replayed write updates instead of duplicating)."""
    fact_key: str | None = Field(default=None, strict=True)
    """Fact key (:func:`theraloop.memory.facts.fact_key`): supersedes older memories with the same
    key."""


class SearchHit(BaseModel):
    """One search result with every score that explains why it was recalled."""

    model_config = _FROZEN

    item: MemoryItem
    """The memory recalled."""
    similarity: float
    """Cosine similarity of query and memory embeddings, in [-1, 1]."""
    lexical: float
    """BM25 score over the client's memories, divided by the best candidate's, in [0, 1]."""
    retention: float
    """Ebbinghaus retention R at search time, in [0, 1] (1 for pinned memories)."""
    score: float
    """Final rank score: relevance (dense and lexical) damped by forgetting."""
    rank: int
    """1-based position in the result list."""


class TraceEvent(BaseModel):
    """One entry of a client's append-only memory trace (what notebooks plot)."""

    model_config = _FROZEN

    kind: TraceKind
    """What happened."""
    client_id: str
    """Whose memory it concerns."""
    item_id: str
    """Which memory."""
    at: datetime
    """When (the store's clock, or the ``now`` passed in)."""
    query: str | None = None
    """The search query (``recall``) or caller's reference (``reinforce``), if any."""
    retention_before: float | None = None
    """Retention just before the event."""
    retention_after: float | None = None
    """Retention just after it (1.0 after a reinforcement)."""
    strength_before: float | None = None
    """Strength S before the event."""
    strength_after: float | None = None
    """Strength S after it."""
    score: float | None = None
    """Search score, for ``recall`` events."""
    detail: str | None = None
    """Free text: the replaced text of an ``update``, the kind of a purged item, ..."""


class EraseReport(BaseModel):
    """What :meth:`MemoryStore.erase_client` deleted: the only record left of the erasure."""

    model_config = _FROZEN

    client_id: str
    """The erased client."""
    existed: bool
    """Whether the store held anything for this client; erasing twice is safe and reports 0s."""
    items_deleted: int
    """Memories deleted, archived ones included."""
    archived_deleted: int
    """How many of those were archived."""
    trace_events_deleted: int
    """Trace events deleted."""
    collections_deleted: int
    """Chroma collections dropped (0 or 1)."""
    trace_files_deleted: int
    """Trace files removed from ``trace_dir`` (0 or 1)."""
    index_folders_deleted: int = 0
    """Vector-index folders removed from an embedded database's directory."""
    index_files_scrubbed: int = 0
    """Other clients' vector-index files whose unused, uncleared capacity was zeroed (it can hold
    leftovers of this process's memory, this client's words included)."""
    database_vacuumed: bool = False
    """Whether an embedded database was compacted, so deleted rows left no bytes on disk."""
    erased_at: datetime
    """When the erasure ran."""
