"""The long-term memory store: one Chroma collection per client, ranked in process.

Data flow::

    add(client, text) -> validate -> embed (ours, never Chroma's) -> upsert into the client's
        collection -> bump the collection's revision -> patch the in-process snapshot -> trace
    search(client, query, now) -> snapshot (reloaded only if the revision changed) -> filter
        (archived, superseded, kind, session, time) -> cosine + BM25 + Ebbinghaus retention
        -> hybrid score (theraloop.memory.ranking) -> top k -> trace

Temporal validity: a memory written with a ``fact_key`` (see :mod:`theraloop.memory.facts`)
supersedes the client's current memory with the same key, which stays stored (``superseded_by``
names its successor) but leaves search unless ``include_superseded=True``. ``forget`` deletes what a
client asked to forget, with everything derived from it, and scrubs it from the trace.

Isolation is structural: a client's memories live in their own collection, named from a
sanitised client id plus a hash of it, and every call reads exactly one collection. Chroma is the
durable store (embedded ``PersistentClient``, ``EphemeralClient`` in tests, or a ``chroma run``
server through ``HttpClient``); ranking runs over a per-client snapshot of ids, vectors and
tokens, because a client holds at most tens of thousands of memories and exact scoring over
them takes a few milliseconds. Each snapshot carries the collection's revision token, rewritten
on every write, so a process sees other processes' writes on its next call.

Concurrency: threads may share one store (writes are serialised by its lock). The embedded
``PersistentClient`` belongs to one process; several processes share memory through a Chroma
server (``open_chroma_client(url=...)``). Writes of different items never interfere; two
processes reinforcing the *same* item at the same instant may count it once (last write wins).

Unknown clients: ``search``, ``items`` and ``get_singleton`` read an unknown (valid) client as
one with no memories yet, since that is every client's first turn; ``get``, ``reinforce``,
``restore``, ``archive_forgotten``, ``purge_archived``, ``trace`` and ``export_client`` raise
:class:`UnknownClientError`; ``erase_client`` is idempotent and reports zeros.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from theraloop.memory import _validation as v
from theraloop.memory._chroma import (
    collection_name,
    local_directory,
    open_chroma_client,
    scrub,
    segment_folders,
)
from theraloop.memory._codec import from_record, to_metadata
from theraloop.memory._lexical import tokenize
from theraloop.memory._snapshot import Lazy, Snapshot, item_tokens, unit_rows
from theraloop.memory._trace import TraceLog
from theraloop.memory._validity import Change, supersede
from theraloop.memory.clock import Clock, system_clock
from theraloop.memory.decay import (
    DecayPolicy,
    initial_strength,
    item_retention,
    reinforced_strength,
)
from theraloop.memory.embeddings import Embedder
from theraloop.memory.errors import (
    EmbedderMismatchError,
    InvalidInputError,
    NotFoundError,
    StoreError,
    UnknownClientError,
)
from theraloop.memory.facts import ForgetRequest, redact
from theraloop.memory.models import (
    EraseReport,
    MemoryItem,
    MemoryKind,
    NewMemory,
    SearchHit,
    SingletonKind,
    TraceEvent,
    TraceKind,
)
from theraloop.memory.ranking import RankingPolicy, hybrid_scores

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

__all__ = ["MemoryStore", "open_chroma_client", "collection_name", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
"""Layout version written into every collection's metadata."""

_SINGLETON_KINDS = ("portrait", "plan")
_SINGLETON_PREFIX = "singleton:"
_SINGLETON_FIELDS = frozenset(
    {"session_id", "speaker", "context", "importance", "emotion_tags", "source_ids"}
)

_NAMESPACE = re.compile(r"[a-z][a-z0-9]{0,15}")
_PAGE = 2000


class MemoryStore:
    """What the therapist remembers about each client, with forgetting, on Chroma.

    Every method takes a ``client_id`` and touches only that client's collection. Times come from
    the injected ``clock`` unless a call passes ``now``; all datetimes must be timezone-aware.
    Writes hold a per-store lock, so threads may share one store.

    Example:
        >>> from datetime import UTC, datetime, timedelta
        >>> from theraloop.memory import HashingEmbedder, ManualClock, open_chroma_client
        >>> clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
        >>> store = MemoryStore(client=open_chroma_client(), embedder=HashingEmbedder(),
        ...                     clock=clock, namespace="doctest")
        >>> item = store.add("ana", "I argued with my sister about our mother's care.")
        >>> _ = clock.advance(timedelta(days=7))
        >>> hit = store.search("ana", "sister argument", k=1)[0]
        >>> hit.item.id == item.id, round(hit.retention, 3)
        (True, 0.368)
        >>> store.erase_client("ana").items_deleted
        1
    """

    def __init__(
        self,
        client: ClientAPI,
        embedder: Embedder,
        clock: Clock = system_clock,
        policy: DecayPolicy | None = None,
        trace_dir: Path | str | None = None,
        *,
        ranking: RankingPolicy | None = None,
        namespace: str = "tl",
        scrub_on_erase: bool = True,
    ) -> None:
        """Create a store over an open Chroma client.

        Args:
            client: From :func:`open_chroma_client` (or any chromadb ``ClientAPI``).
            embedder: Computes every vector; its name and dimensions are recorded per client.
            clock: Source of "now" for writes and searches without an explicit ``now``.
            policy: Forgetting constants; default :class:`DecayPolicy`.
            trace_dir: Folder for per-client JSON Lines traces; ``None`` keeps traces in memory.
            ranking: Hybrid score weights; default :class:`RankingPolicy`.
            namespace: Collection-name prefix (``[a-z][a-z0-9]{0,15}``), to keep several
                stores apart in one Chroma database.
            scrub_on_erase: With an embedded ``PersistentClient``, make ``erase_client`` also
                delete the collection's index folder and VACUUM Chroma's SQLite file, so no
                byte of the client remains on disk (Chroma leaves both behind). Costs a
                rewrite of the database file per erasure; a server's files are the server's
                to vacuum (``chroma vacuum --path DIR``).

        Raises:
            InvalidInputError: ``namespace`` or ``embedder`` is malformed.
        """
        if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
            raise InvalidInputError(
                f"namespace must match [a-z][a-z0-9]{{0,15}}, got {namespace!r}"
            )
        name = getattr(embedder, "name", None)
        dims = getattr(embedder, "dimensions", None)
        if not isinstance(name, str) or not name or not isinstance(dims, int) or dims < 1:
            raise InvalidInputError(
                f"embedder must have a non-empty str `name` and a positive int `dimensions`, got "
                f"name={name!r}, dimensions={dims!r}"
            )
        self._client = client
        self._embedder = embedder
        self._clock = clock
        self._policy = policy if policy is not None else DecayPolicy()
        self._ranking = ranking if ranking is not None else RankingPolicy()
        self._namespace = namespace
        self._trace = TraceLog(Path(trace_dir) if trace_dir is not None else None)
        self._snapshots: dict[str, Snapshot] = {}
        self._erasures: dict[str, int] = {}
        self._lock = threading.RLock()
        self._max_batch: int | None = None
        self._scrub_on_erase = scrub_on_erase
        # (client, session) -> stems the client asked to forget in that session; later writes of
        # the session (the request itself, the reply, the summary) are redacted. In process only.
        self._tombstones: dict[tuple[str, str], set[str]] = {}

    # ------------------------------------------------------------------ properties
    @property
    def embedder(self) -> Embedder:
        """The embedder every vector comes from."""
        return self._embedder

    @property
    def policy(self) -> DecayPolicy:
        """The forgetting constants."""
        return self._policy

    @property
    def ranking(self) -> RankingPolicy:
        """The hybrid score weights."""
        return self._ranking

    @property
    def namespace(self) -> str:
        """Prefix of this store's collection names."""
        return self._namespace

    @property
    def trace_dir(self) -> Path | None:
        """Folder of the trace files, or ``None`` when traces are kept in memory."""
        return self._trace.directory

    def now(self) -> datetime:
        """Return the store clock's current time (UTC)."""
        return v.check_time(self._clock(), "clock()")

    # ------------------------------------------------------------------ writes
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
        """Remember one thing about a client; see :class:`NewMemory` for the fields.

        Writing an existing ``item_id`` again updates its content and keeps its forgetting state,
        so a replayed write (after a crash) never duplicates a memory.

        Raises:
            InvalidInputError: a field is invalid (empty or oversized text, naive datetime, ...).
            EmbedderMismatchError: the client's memories were written with another embedder.
            StoreError: Chroma failed; nothing was written.
        """
        record = {
            "text": text,
            "kind": kind,
            "session_id": session_id,
            "speaker": speaker,
            "importance": importance,
            "emotion_tags": emotion_tags,
            "source_ids": source_ids,
            "pinned": pinned,
            "context": context,
            "created_at": created_at,
            "strength": strength,
            "item_id": item_id,
            "fact_key": fact_key,
        }
        return self.add_many(client_id, [record])[0]

    def add_many(
        self, client_id: str, records: Sequence[Mapping[str, Any] | NewMemory]
    ) -> list[MemoryItem]:
        """Remember several things at once: one embedding batch, one Chroma write.

        All records are validated and embedded before anything is written; if any is invalid,
        nothing is.

        Raises:
            InvalidInputError: a record is invalid; the message names its index.
            EmbedderMismatchError: the client's memories were written with another embedder.
            StoreError: Chroma failed; the batch was rolled back.
        """
        cid = v.check_client_id(client_id)
        if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
            raise InvalidInputError(
                f"records must be a list of dicts or NewMemory, got {v.preview(records)}"
            )
        news = [self._check_new(r, f"records[{i}]") for i, r in enumerate(records)]
        ids = [n.item_id for n in news if n.item_id is not None]
        if len(ids) != len(set(ids)):
            raise InvalidInputError(f"records repeat an item_id: {sorted(ids)!r}")
        for i, n in enumerate(news):
            if n.kind in _SINGLETON_KINDS:
                raise InvalidInputError(
                    f"records[{i}] has kind {n.kind!r}; a client has one {n.kind}, so write it "
                    f"with store.set_singleton(client_id, {n.kind!r}, text)"
                )
            if n.item_id is not None and n.item_id.startswith(_SINGLETON_PREFIX):
                raise InvalidInputError(
                    f"records[{i}].item_id {n.item_id!r} uses the reserved prefix "
                    f"{_SINGLETON_PREFIX!r}; choose another id"
                )
        if not news:
            return []
        return self._write(cid, news, now=self.now())

    def set_singleton(
        self, client_id: str, kind: SingletonKind, text: str, **fields: Any
    ) -> MemoryItem:
        """Write the client's portrait or plan, replacing the previous version in place.

        The item keeps its id and creation time, its ``version`` grows, and the trace records the
        replaced text. Portraits and plans are pinned: they never fade or archive.

        Args:
            client_id: Whose portrait or plan.
            kind: ``"portrait"`` or ``"plan"``.
            text: The new full text.
            **fields: Optional ``session_id``, ``speaker``, ``context``, ``importance``,
                ``emotion_tags``, ``source_ids``.

        Raises:
            InvalidInputError: unknown kind or field, or an invalid value.
        """
        cid = v.check_client_id(client_id)
        if kind not in _SINGLETON_KINDS:
            raise InvalidInputError(f"kind must be 'portrait' or 'plan', got {v.preview(kind)}")
        unknown = set(fields) - _SINGLETON_FIELDS
        if unknown:
            raise InvalidInputError(
                f"set_singleton got unknown fields {sorted(unknown)!r}; allowed: "
                f"{sorted(_SINGLETON_FIELDS)!r}"
            )
        record = {**fields, "text": text, "kind": kind, "pinned": True}
        new = self._check_new(record, "set_singleton", allow_singleton=True)
        new = new.model_copy(update={"item_id": f"{_SINGLETON_PREFIX}{kind}"})
        return self._write(cid, [new], now=self.now())[0]

    def reinforce(
        self,
        client_id: str,
        item_ids: Sequence[str],
        *,
        now: datetime | None = None,
        query: str | None = None,
    ) -> list[MemoryItem]:
        """Strengthen memories the caller confirms it used (not everything a search returned).

        Each item's strength grows by ``policy.recall_increment`` and its forgetting clock
        restarts at ``now`` (retention back to 1).

        Args:
            client_id: Whose memories.
            item_ids: Ids of the memories used; duplicates count once.
            now: Time of use; default the store clock.
            query: Reference kept in the trace (the query or a turn id).

        Raises:
            UnknownClientError: the client has no memories.
            NotFoundError: an id is not one of this client's memories; nothing changed.
            InvalidInputError: an item is archived (restore it first) or an argument is invalid.
        """
        cid = v.check_client_id(client_id)
        ids = v.check_item_ids(item_ids)
        at = self._now(now)
        ref = v.check_optional_text(query, "query")
        if not ids:
            return []
        with self._lock:
            col, snap = self._require(cid)
            items = self._lookup(cid, snap, ids)
            archived = [i.id for i in items if i.archived]
            if archived:
                raise InvalidInputError(
                    f"items {archived!r} are archived; call store.restore({cid!r}, ids) first"
                )
            updated, events = [], []
            for item in items:
                before = item_retention(item, at, self._policy)
                new = item.model_copy(
                    update={
                        "strength": reinforced_strength(self._policy, item.strength),
                        "last_recalled_at": max(item.last_recalled_at, at),
                        "recall_count": item.recall_count + 1,
                    }
                )
                updated.append(new)
                events.append(
                    self._event(
                        "reinforce",
                        new,
                        at,
                        before,
                        item_retention(new, at, self._policy),
                        item.strength,
                        new.strength,
                        query=ref,
                    )
                )
            self._update_metadata(cid, col, snap, updated)
            self._trace.append(self._key(cid), events)
            return updated

    def restore(
        self, client_id: str, item_ids: Sequence[str], *, now: datetime | None = None
    ) -> list[MemoryItem]:
        """Bring archived memories back into search, with their forgetting clock restarted.

        Raises:
            UnknownClientError: the client has no memories.
            NotFoundError: an id is not one of this client's memories; nothing changed.
        """
        cid = v.check_client_id(client_id)
        ids = v.check_item_ids(item_ids)
        at = self._now(now)
        with self._lock:
            col, snap = self._require(cid)
            items = [i for i in self._lookup(cid, snap, ids) if i.archived]
            if not items:
                return []
            updated = [
                i.model_copy(
                    update={
                        "archived": False,
                        "archived_at": None,
                        "last_recalled_at": max(i.last_recalled_at, at),
                    }
                )
                for i in items
            ]
            events = [
                self._event(
                    "restore",
                    new,
                    at,
                    item_retention(old, at, self._policy),
                    item_retention(new, at, self._policy),
                    old.strength,
                    new.strength,
                )
                for old, new in zip(items, updated, strict=True)
            ]
            self._update_metadata(cid, col, snap, updated)
            self._trace.append(self._key(cid), events)
            return updated

    def archive_forgotten(self, client_id: str, now: datetime | None = None) -> list[str]:
        """Archive the unpinned memories whose retention fell below the policy threshold.

        A memory that currently holds a fact key (where the client lives, a person's name) is
        not archived however old: a fact stays valid until a newer one supersedes it. Decay
        still lowers its rank.

        Archived memories leave search but stay stored, inspectable, restorable and exportable
        until :meth:`purge_archived` deletes them.

        Returns:
            The ids archived by this call.

        Raises:
            UnknownClientError: the client has no memories.
        """
        cid = v.check_client_id(client_id)
        at = self._now(now)
        with self._lock:
            col, snap = self._require(cid)
            retention = snap.retention(at, self._policy)
            current = np.zeros(len(snap.items), dtype=bool)
            current[list(snap.current_facts.values())] = True
            due = np.flatnonzero(
                ~snap.archived
                & ~snap.pinned
                & ~current
                & (retention < self._policy.archive_threshold)
            )
            if due.size == 0:
                return []
            updated, events = [], []
            for pos in due.tolist():
                item = snap.items[pos]
                new = item.model_copy(update={"archived": True, "archived_at": at})
                updated.append(new)
                r = float(retention[pos])
                events.append(self._event("archive", new, at, r, r, item.strength, item.strength))
            self._update_metadata(cid, col, snap, updated)
            self._trace.append(self._key(cid), events)
            return [i.id for i in updated]

    def purge_archived(self, client_id: str) -> int:
        """Delete the client's archived memories for good; return how many were deleted.

        Raises:
            UnknownClientError: the client has no memories.
            StoreError: Chroma failed; nothing was deleted.
        """
        cid = v.check_client_id(client_id)
        with self._lock:
            col, snap = self._require(cid)
            doomed = [i for i in snap.items if i.archived]
            if not doomed:
                return 0
            at = self.now()
            ids = [i.id for i in doomed]
            try:
                col.delete(ids=ids)
            except Exception as exc:
                self._snapshots.pop(cid, None)
                raise StoreError(f"Chroma failed to purge {len(ids)} memories: {exc}") from exc
            keep = [i for i in snap.items if not i.archived]
            rows = np.flatnonzero(~snap.archived)
            rev = self._bump(col)
            tokens = tuple(snap.lexical.tokens[i] for i in rows.tolist())
            self._snapshots[cid] = Snapshot.build(rev, keep, snap.matrix[rows], Lazy(tokens))
            self._trace.append(
                self._key(cid),
                [
                    self._event("purge", i, at, None, None, i.strength, None, detail=i.kind)
                    for i in doomed
                ],
            )
            return len(doomed)

    def forget(
        self,
        client_id: str,
        request: ForgetRequest,
        *,
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Delete what the client asked to forget, and everything derived from it.

        A memory is forgotten when its text or context holds any of ``request.terms``; a memory
        whose ``source_ids`` name a forgotten one goes with it (a reply to the forgotten words, a
        summary of them). Its trace events are dropped, the words are redacted from the rest of
        the trace, and a ``forget`` event without text records each deletion. With
        ``session_id``, later writes of that session (the request itself, the reply to it, the
        session summary) are stored with the words redacted, for the life of this store object.
        Pinned memories are forgotten too: a crisis stays in the agent's own records.

        Args:
            client_id: Whose memories.
            request: From :func:`theraloop.memory.facts.forget_request`.
            session_id: The session the request was made in.
            now: Time of the request; default the store clock.

        Returns:
            The ids deleted ([] for a client with no memories).

        Raises:
            StoreError: Chroma or the trace file failed; call again to finish.
        """
        cid = v.check_client_id(client_id)
        session = v.check_optional_label(session_id, "session_id")
        at = self._now(now)
        terms = frozenset(request.terms)
        with self._lock:
            if session is not None:
                self._tombstones.setdefault((cid, session), set()).update(terms)
            snap = self._current(cid)
            if snap is None:
                return []
            doomed = {
                snap.items[pos].id
                for pos, tokens in enumerate(snap.lexical.tokens)
                if terms.intersection(tokens)
            }
            grew = bool(doomed)
            while grew:  # follow derivations to a fixed point
                derived = {i.id for i in snap.items if doomed.intersection(i.source_ids)}
                grew = not derived <= doomed
                doomed |= derived
            if not doomed:
                return []
            col, _ = self._require(cid)
            ids = sorted(doomed)
            try:
                col.delete(ids=ids)
            except Exception as exc:
                self._snapshots.pop(cid, None)
                raise StoreError(f"Chroma failed to forget {len(ids)} memories: {exc}") from exc
            rows = np.flatnonzero([i.id not in doomed for i in snap.items])
            keep = [snap.items[r] for r in rows.tolist()]
            rev = self._bump(col)
            tokens = tuple(snap.lexical.tokens[r] for r in rows.tolist())
            self._snapshots[cid] = Snapshot.build(rev, keep, snap.matrix[rows], Lazy(tokens))
            key = self._key(cid)
            kept = [
                e.model_copy(
                    update={
                        "query": redact(e.query, terms) if e.query else e.query,
                        "detail": redact(e.detail, terms) if e.detail else e.detail,
                    }
                )
                for e in self._trace.read(key)
                if e.item_id not in doomed
            ]
            gone = [TraceEvent(kind="forget", client_id=cid, item_id=i, at=at) for i in ids]
            self._trace.rewrite(key, kept + gone)
            return ids

    def erase_client(self, client_id: str) -> EraseReport:
        """Delete every trace of a client: memories, vectors, metadata and the memory trace.

        Safe to call twice or for a client never seen (the report then says ``existed=False``).

        Raises:
            StoreError: Chroma or the file system failed; call again to finish the erasure.
        """
        cid = v.check_client_id(client_id)
        with self._lock:
            at = self.now()
            key = self._key(cid)
            col = self._find(cid, check_embedder=False)
            items = archived = collections = folders = 0
            vacuumed, zeroed = False, []
            root = local_directory(self._client)
            if col is not None:
                try:  # count without decoding, so even a damaged collection can be erased
                    items = col.count()
                    archived = len(col.get(where={"archived": True}, include=[])["ids"])
                except Exception as exc:
                    raise StoreError(f"Chroma failed to read {key!r}: {exc}") from exc
                on_disk = segment_folders(root, key) if root is not None else []
                try:
                    self._client.delete_collection(name=key)
                except Exception as exc:
                    if self._find(cid, check_embedder=False) is not None:
                        raise StoreError(f"Chroma failed to drop {key!r}: {exc}") from exc
                collections = 1
                if root is not None and self._scrub_on_erase:
                    folders, vacuumed, zeroed = scrub(root, on_disk)
            self._snapshots.pop(cid, None)
            self._tombstones = {k: t for k, t in self._tombstones.items() if k[0] != cid}
            self._erasures[cid] = self._erasures.get(cid, 0) + 1
            events, files = self._trace.delete(key)
            if self._find(cid, check_embedder=False) is not None:
                raise StoreError(f"collection {key!r} still exists after erasure; call again")
            return EraseReport(
                client_id=cid,
                existed=bool(collections or events or files),
                items_deleted=items,
                archived_deleted=archived,
                trace_events_deleted=events,
                collections_deleted=collections,
                trace_files_deleted=files,
                index_folders_deleted=folders,
                index_files_scrubbed=len(zeroed),
                database_vacuumed=vacuumed,
                erased_at=at,
            )

    # ------------------------------------------------------------------ reads
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
        """Return the client's ``k`` most relevant unarchived memories, best first.

        Each hit carries its cosine similarity, normalised BM25 score, retention at ``now`` and
        the final score (see :mod:`theraloop.memory.ranking`), so a person can see why it was
        recalled.

        Args:
            client_id: Whose memories; an unknown client has none (returns ``[]``).
            query: What to look for.
            k: How many hits at most (1 to 1000).
            now: Time the retention is computed at; default the store clock.
            kinds: Only these kinds (one kind or several).
            session_id: Only memories of this session.
            since: Only memories created at or after this time.
            until: Only memories created at or before this time.
            record: Append a ``recall`` event per hit to the trace (``False`` for inspection).
            include_superseded: Also rank memories a newer fact replaced (for history; each hit's
                ``item.superseded_by`` says so).
            exclude_session_id: Leave out the memories of this session (the one in progress,
                whose turns the caller already has).
            distinct: Return one hit per text (the best), so a repeated text cannot fill ``k``.

        Raises:
            InvalidInputError: an argument is invalid.
            EmbedderMismatchError: the client's memories were written with another embedder.
        """
        cid = v.check_client_id(client_id)
        text = v.check_text(query, "query")
        k = v.check_k(k)
        at = self._now(now)
        kind_set = v.check_kinds(kinds)
        session = v.check_optional_label(session_id, "session_id")
        skipped = v.check_optional_label(exclude_session_id, "exclude_session_id")
        start = v.check_optional_time(since, "since")
        end = v.check_optional_time(until, "until")
        if start is not None and end is not None and start > end:
            raise InvalidInputError(f"since {start!r} is after until {end!r}; swap them")
        with self._lock:
            snap = self._current(cid)
            epoch = self._erasures.get(cid, 0)
        if snap is None or not snap.items:
            return []
        mask = ~snap.archived if include_superseded else ~snap.archived & ~snap.superseded
        if kind_set is not None:
            mask &= np.isin(snap.kinds, list(kind_set))
        if session is not None:
            mask &= snap.sessions == session
        if skipped is not None:
            mask &= snap.sessions != skipped
        if start is not None:
            mask &= snap.created_ts >= start.timestamp()
        if end is not None:
            mask &= snap.created_ts <= end.timestamp()
        candidates = np.flatnonzero(mask)
        if candidates.size == 0:
            return []
        query_vec = self._embed([text], query=True)[0]
        similarity = (snap.matrix @ query_vec)[candidates].astype(np.float64)
        lexical = snap.lexical.get().scores(tokenize(text))[candidates]
        best = lexical.max()
        lexical = lexical / best if best > 0 else np.zeros_like(lexical)
        retention = snap.retention(at, self._policy)[candidates]
        score = hybrid_scores(similarity, lexical, retention, self._ranking)
        order = np.lexsort((-snap.created_ts[candidates], -score))
        order = _first_distinct(snap, candidates, order, k) if distinct else order[:k]
        hits = [
            SearchHit(
                item=snap.items[candidates[j]],
                similarity=float(similarity[j]),
                lexical=float(lexical[j]),
                retention=float(retention[j]),
                score=float(score[j]),
                rank=rank,
            )
            for rank, j in enumerate(order.tolist(), 1)
        ]
        if record and hits:
            events = [
                self._event(
                    "recall",
                    h.item,
                    at,
                    h.retention,
                    h.retention,
                    h.item.strength,
                    h.item.strength,
                    query=text,
                    score=h.score,
                )
                for h in hits
            ]
            with self._lock:
                if self._erasures.get(cid, 0) == epoch:  # not erased while we ranked
                    self._trace.append(self._key(cid), events)
        return hits

    def get(self, client_id: str, item_id: str) -> MemoryItem:
        """Return one of the client's memories (archived ones too).

        Raises:
            UnknownClientError: the client has no memories.
            NotFoundError: no such item for this client.
        """
        cid = v.check_client_id(client_id)
        iid = v.check_label(item_id, "item_id")
        with self._lock:
            _, snap = self._require(cid)
        return self._lookup(cid, snap, [iid])[0]

    def items(
        self,
        client_id: str,
        *,
        kinds: str | Sequence[str] | None = None,
        include_archived: bool = False,
    ) -> list[MemoryItem]:
        """Return the client's memories, oldest first ([] for a client with none)."""
        cid = v.check_client_id(client_id)
        kind_set = v.check_kinds(kinds)
        with self._lock:
            snap = self._current(cid)
        if snap is None:
            return []
        out = [
            i
            for i in snap.items
            if (include_archived or not i.archived) and (kind_set is None or i.kind in kind_set)
        ]
        return sorted(out, key=lambda i: (i.created_at, i.id))

    def get_singleton(self, client_id: str, kind: SingletonKind) -> MemoryItem | None:
        """Return the client's current portrait or plan, or ``None`` if none was written."""
        cid = v.check_client_id(client_id)
        if kind not in _SINGLETON_KINDS:
            raise InvalidInputError(f"kind must be 'portrait' or 'plan', got {v.preview(kind)}")
        with self._lock:
            snap = self._current(cid)
        if snap is None:
            return None
        pos = snap.positions.get(f"{_SINGLETON_PREFIX}{kind}")
        return None if pos is None else snap.items[pos]

    def has_client(self, client_id: str) -> bool:
        """Return whether the store holds memories for ``client_id``."""
        cid = v.check_client_id(client_id)
        with self._lock:
            return self._find(cid, check_embedder=False) is not None

    def clients(self) -> list[str]:
        """Return the ids of every client this store (its namespace) holds, sorted."""
        with self._lock:
            try:
                collections = self._client.list_collections()
            except Exception as exc:
                raise StoreError(f"Chroma failed to list collections: {exc}") from exc
        out = []
        prefix = f"{self._namespace}_"
        for col in collections:
            meta = col.metadata or {}
            cid = meta.get("client_id")
            if (
                col.name.startswith(prefix)
                and meta.get("theraloop_schema") is not None
                and isinstance(cid, str)
                and v.CLIENT_ID_PATTERN.fullmatch(cid)
                and collection_name(cid, self._namespace) == col.name
            ):
                out.append(cid)
        return sorted(out)

    def trace(self, client_id: str) -> list[TraceEvent]:
        """Return the client's memory trace, oldest first.

        Raises:
            UnknownClientError: the store holds nothing for this client.
        """
        cid = v.check_client_id(client_id)
        key = self._key(cid)
        with self._lock:
            if self._find(cid, check_embedder=False) is None and not self._trace.exists(key):
                raise self._unknown(cid)
            return self._trace.read(key)

    def export_client(self, client_id: str) -> dict[str, Any]:
        """Return everything stored about the client as JSON-ready data (for access requests).

        Archived memories and the full trace are included; vectors are not (they are derived
        from the texts by the named embedder).

        Raises:
            UnknownClientError: the store holds nothing for this client.
        """
        cid = v.check_client_id(client_id)
        with self._lock:
            _, snap = self._require(cid)
            events = self._trace.read(self._key(cid))
        items = sorted(snap.items, key=lambda i: (i.created_at, i.id))
        return {
            "format": "theraloop.memory.export",
            "format_version": SCHEMA_VERSION,
            "client_id": cid,
            "exported_at": self.now().isoformat(),
            "embedder": {"name": self._embedder.name, "dimensions": self._embedder.dimensions},
            "decay_policy": self._policy.model_dump(mode="json"),
            "items": [i.model_dump(mode="json") for i in items],
            "trace": [e.model_dump(mode="json") for e in events],
        }

    # ------------------------------------------------------------------ internals
    def _key(self, client_id: str) -> str:
        return collection_name(client_id, self._namespace)

    def _now(self, now: datetime | None) -> datetime:
        return self.now() if now is None else v.check_time(now, "now")

    def _unknown(self, client_id: str) -> UnknownClientError:
        return UnknownClientError(
            f"no memories stored for client {client_id!r}; check the id, or add a memory first "
            "(store.clients() lists known clients)"
        )

    def _check_new(
        self, record: Mapping[str, Any] | NewMemory, where: str, *, allow_singleton: bool = False
    ) -> NewMemory:
        """Validate one record completely; return it with normalised values."""
        if isinstance(record, NewMemory):
            new = record
        elif isinstance(record, Mapping):
            try:
                new = NewMemory.model_validate(dict(record))
            except ValidationError as exc:
                raise InvalidInputError(f"{where} is invalid: {exc}") from exc
        else:
            raise InvalidInputError(f"{where} must be a dict or NewMemory, got {v.preview(record)}")
        v.check_text(new.text, f"{where}.text")
        v.check_kind(new.kind, f"{where}.kind")
        strength = new.strength
        if strength is not None:
            strength = v.check_strength(
                strength, f"{where}.strength", maximum=self._policy.max_strength
            )
        return new.model_copy(
            update={
                "context": v.check_optional_text(new.context, f"{where}.context"),
                "session_id": v.check_optional_label(new.session_id, f"{where}.session_id"),
                "speaker": v.check_optional_label(new.speaker, f"{where}.speaker"),
                "importance": v.check_fraction(new.importance, f"{where}.importance"),
                "emotion_tags": v.check_labels(new.emotion_tags, f"{where}.emotion_tags"),
                "source_ids": v.check_labels(new.source_ids, f"{where}.source_ids"),
                "created_at": v.check_optional_time(new.created_at, f"{where}.created_at"),
                "strength": strength,
                "item_id": v.check_optional_label(new.item_id, f"{where}.item_id"),
                "fact_key": v.check_optional_label(new.fact_key, f"{where}.fact_key"),
                "pinned": bool(new.pinned) or new.kind == "crisis",
            }
        )

    def _embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Embed and check the vectors (count, size, finiteness) before anything is written."""
        dims = self._embedder.dimensions
        try:
            raw = (
                [self._embedder.embed_query(texts[0])]
                if query
                else self._embedder.embed_documents(texts)
            )
            matrix = np.asarray(raw, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbedderMismatchError(
                f"embedder {self._embedder.name!r} returned malformed vectors: {exc}"
            ) from exc
        if matrix.shape != (len(texts), dims):
            raise EmbedderMismatchError(
                f"embedder {self._embedder.name!r} returned vectors of shape {matrix.shape}, "
                f"expected ({len(texts)}, {dims}); fix its `dimensions`"
            )
        if not np.isfinite(matrix).all():
            raise EmbedderMismatchError(
                f"embedder {self._embedder.name!r} returned NaN or infinite values"
            )
        return unit_rows(matrix, dims)

    def _find(self, client_id: str, *, check_embedder: bool = True) -> Collection | None:
        """Return the client's collection, or ``None`` if it does not exist."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        name = self._key(client_id)
        try:
            col = self._client.get_collection(name=name, embedding_function=None)
        except ChromaNotFound:
            return None
        except ValueError as exc:  # older chromadb raised ValueError for a missing collection
            if "does not exist" in str(exc):
                return None
            raise StoreError(f"Chroma failed to open {name!r}: {exc}") from exc
        except Exception as exc:
            if "does not exist" in str(exc):
                return None
            raise StoreError(f"Chroma failed to open {name!r}: {exc}") from exc
        self._check_collection(client_id, col, check_embedder=check_embedder)
        return col

    def _check_collection(self, client_id: str, col: Collection, *, check_embedder: bool) -> None:
        meta = col.metadata or {}
        if meta.get("theraloop_schema") is None or meta.get("client_id") != client_id:
            raise StoreError(
                f"collection {col.name!r} exists but does not hold theraloop memories of client "
                f"{client_id!r} (metadata {meta!r}); use another namespace"
            )
        if check_embedder and (
            meta.get("embedder") != self._embedder.name
            or meta.get("dimensions") != self._embedder.dimensions
        ):
            raise EmbedderMismatchError(
                f"client {client_id!r}'s memories were embedded with {meta.get('embedder')!r} "
                f"({meta.get('dimensions')!r} dims) but this store uses "
                f"{self._embedder.name!r} ({self._embedder.dimensions} dims); open the store "
                "with the original embedder, or export the client and re-add its memories"
            )

    def _create(self, client_id: str) -> tuple[Collection, bool]:
        """Create the client's collection, or join one another process just created.

        Returns:
            The collection, and whether this call created it (and may drop it on rollback).
        """
        name = self._key(client_id)
        metadata = {
            "theraloop_schema": SCHEMA_VERSION,
            "client_id": client_id,
            "embedder": self._embedder.name,
            "dimensions": self._embedder.dimensions,
            "created_at": self.now().isoformat(),
            "rev": uuid.uuid4().hex,
        }
        try:
            col = self._client.create_collection(
                name=name,
                metadata=metadata,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            return col, True
        except Exception as exc:
            existing = self._find(client_id)
            if existing is None:
                raise StoreError(f"Chroma failed to create {name!r}: {exc}") from exc
            return existing, False

    def _current(self, client_id: str) -> Snapshot | None:
        """Return an up-to-date snapshot, or ``None`` for an unknown client (lock held)."""
        col = self._find(client_id)
        if col is None:
            self._snapshots.pop(client_id, None)
            return None
        return self._fresh(client_id, col)

    def _fresh(self, client_id: str, col: Collection) -> Snapshot:
        snap = self._snapshots.get(client_id)
        rev = (col.metadata or {}).get("rev")
        if snap is None or snap.rev != rev:
            snap = self._load(client_id, col)
            self._snapshots[client_id] = snap
        return snap

    def _require(self, client_id: str) -> tuple[Collection, Snapshot]:
        col = self._find(client_id)
        if col is None:
            self._snapshots.pop(client_id, None)
            raise self._unknown(client_id)
        return col, self._fresh(client_id, col)

    def _load(self, client_id: str, col: Collection) -> Snapshot:
        """Read the whole collection (paged) into a snapshot."""
        rev = str((col.metadata or {}).get("rev"))
        items: list[MemoryItem] = []
        vectors: list[np.ndarray] = []
        offset = 0
        try:
            while True:
                page = col.get(
                    include=["documents", "metadatas", "embeddings"], limit=_PAGE, offset=offset
                )
                ids = page["ids"]
                if not ids:
                    break
                docs = page["documents"] or [None] * len(ids)
                metas = page["metadatas"] or [None] * len(ids)
                items.extend(from_record(i, d, m) for i, d, m in zip(ids, docs, metas, strict=True))
                vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
                offset += len(ids)
                if len(ids) < _PAGE:
                    break
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"Chroma failed to read {col.name!r}: {exc}") from exc
        foreign = [i.id for i in items if i.client_id != client_id]
        if foreign:
            raise StoreError(
                f"collection {col.name!r} holds items of another client ({foreign[:3]!r}); "
                "refusing to read it"
            )
        dims = self._embedder.dimensions
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, dims), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: (items[i].created_at, items[i].id))
        return Snapshot.build(rev, [items[i] for i in order], unit_rows(matrix[order], dims))

    def _lookup(self, client_id: str, snap: Snapshot, ids: Sequence[str]) -> list[MemoryItem]:
        missing = [i for i in ids if i not in snap.positions]
        if missing:
            raise NotFoundError(
                f"client {client_id!r} has no memories with ids {missing!r}; ids come from "
                "add() or search() for this same client"
            )
        return [snap.items[snap.positions[i]] for i in ids]

    def _bump(self, col: Collection) -> str:
        """Give the collection a new revision so every process reloads its snapshot."""
        rev = uuid.uuid4().hex
        try:
            col.modify(metadata={**(col.metadata or {}), "rev": rev})
        except Exception as exc:
            raise StoreError(f"Chroma failed to update {col.name!r}'s revision: {exc}") from exc
        return rev

    def _batch_size(self) -> int:
        if self._max_batch is None:
            try:
                self._max_batch = max(1, int(self._client.get_max_batch_size()))
            except Exception:  # servers that do not report it
                self._max_batch = 1000
        return self._max_batch

    def _write(self, client_id: str, news: list[NewMemory], *, now: datetime) -> list[MemoryItem]:
        """Embed, then upsert ``news`` into the client's collection in one logical write."""
        news = [self._redacted(client_id, n) for n in news]
        vectors = self._embed([n.text for n in news])
        with self._lock:
            col = self._find(client_id)
            created = False
            if col is None:
                col, created = self._create(client_id)
            if created:
                rev = str((col.metadata or {}).get("rev"))
                empty = np.zeros((0, self._embedder.dimensions), dtype=np.float32)
                snap = Snapshot.build(rev, [], empty)
            else:
                snap = self._fresh(client_id, col)
            results: list[MemoryItem] = []
            changed: list[Change] = []
            events: list[TraceEvent] = []
            for new, vec in zip(news, vectors, strict=True):
                old_pos = snap.positions.get(new.item_id) if new.item_id else None
                old = snap.items[old_pos] if old_pos is not None else None
                item = self._merge(client_id, new, old, now)
                results.append(item)
                if old is not None and item == old:
                    continue  # a replayed identical write: nothing to do
                changed.append((item, vec, old))
                events.append(self._written_event(item, old, now))
            if not changed:
                return results
            changed, superseded = supersede(snap, changed)
            events += [
                self._event("supersede", i, now, None, None, None, None, detail=i.superseded_by)
                for i in superseded
            ]
            latest = {item.id: item for item, _, _ in changed}
            results = [latest.get(r.id, r) for r in results]
            self._upsert(client_id, col, snap, changed, created=created)
            self._trace.append(self._key(client_id), events)
            return results

    def _redacted(self, client_id: str, new: NewMemory) -> NewMemory:
        """Return ``new`` without the words its session asked to forget (see :meth:`forget`)."""
        terms = self._tombstones.get((client_id, new.session_id or ""))
        if not terms:
            return new
        context = redact(new.context, terms) if new.context is not None else None
        return new.model_copy(update={"text": redact(new.text, terms), "context": context})

    def _merge(
        self, client_id: str, new: NewMemory, old: MemoryItem | None, now: datetime
    ) -> MemoryItem:
        content = {
            "kind": new.kind,
            "text": new.text,
            "context": new.context,
            "session_id": new.session_id,
            "speaker": new.speaker,
            "importance": new.importance,
            "emotion_tags": tuple(new.emotion_tags),
            "source_ids": tuple(new.source_ids),
            "pinned": new.pinned,
            "fact_key": new.fact_key,
        }
        if old is not None:
            if all(getattr(old, k) == val for k, val in content.items()):
                return old
            text_changed = old.text != new.text or old.context != new.context
            return old.model_copy(
                update={
                    **content,
                    "updated_at": now if text_changed else old.updated_at,
                    "version": old.version + 1 if text_changed else old.version,
                }
            )
        created = new.created_at or now
        strength = new.strength or initial_strength(self._policy, new.importance)
        return MemoryItem(
            id=new.item_id or uuid.uuid4().hex,
            client_id=client_id,
            created_at=created,
            updated_at=created,
            last_recalled_at=created,
            strength=strength,
            **content,
        )

    def _written_event(self, item: MemoryItem, old: MemoryItem | None, now: datetime) -> TraceEvent:
        r = item_retention(item, now, self._policy)
        if old is None:
            return self._event("add", item, now, None, r, None, item.strength)
        detail = f"previous version {old.version}: {old.text}" if old.text != item.text else None
        return self._event(
            "update",
            item,
            now,
            item_retention(old, now, self._policy),
            r,
            old.strength,
            item.strength,
            detail=detail,
        )

    def _upsert(
        self,
        client_id: str,
        col: Collection,
        snap: Snapshot,
        changed: list[tuple[MemoryItem, np.ndarray, MemoryItem | None]],
        *,
        created: bool,
    ) -> None:
        """Write ``changed`` in batches; undo the earlier batches if a later one fails."""
        size = self._batch_size()
        done: list[tuple[MemoryItem, np.ndarray, MemoryItem | None]] = []
        try:
            for start in range(0, len(changed), size):
                chunk = changed[start : start + size]
                col.upsert(
                    ids=[i.id for i, _, _ in chunk],
                    embeddings=np.stack([vec for _, vec, _ in chunk]),
                    documents=[i.text for i, _, _ in chunk],
                    metadatas=[to_metadata(i) for i, _, _ in chunk],  # type: ignore[misc]
                )
                done.extend(chunk)
            rev = self._bump(col)
        except Exception as exc:
            self._snapshots.pop(client_id, None)
            self._rollback(client_id, col, snap, done, created=created)
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"Chroma failed to store {len(changed)} memories: {exc}") from exc
        self._snapshots[client_id] = self._patched(snap, rev, changed)
        try:
            if col.count() != len(self._snapshots[client_id].items):
                self._snapshots.pop(client_id, None)  # another process wrote too: reload later
        except Exception:
            self._snapshots.pop(client_id, None)

    def _rollback(
        self,
        client_id: str,
        col: Collection,
        snap: Snapshot,
        done: list[tuple[MemoryItem, np.ndarray, MemoryItem | None]],
        *,
        created: bool,
    ) -> None:
        """Best-effort undo of a partly applied write (new ids deleted, old versions put back)."""
        try:
            if created:
                self._client.delete_collection(name=col.name)
                return
            fresh = [i.id for i, _, old in done if old is None]
            if fresh:
                col.delete(ids=fresh)
            restored = [old for _, _, old in done if old is not None]
            if restored:
                col.upsert(
                    ids=[o.id for o in restored],
                    embeddings=np.stack([snap.matrix[snap.positions[o.id]] for o in restored]),
                    documents=[o.text for o in restored],
                    metadatas=[to_metadata(o) for o in restored],  # type: ignore[misc]
                )
            self._bump(col)
        except Exception:  # the original error is the one to report; the next read reloads
            self._snapshots.pop(client_id, None)

    def _update_metadata(
        self, client_id: str, col: Collection, snap: Snapshot, updated: list[MemoryItem]
    ) -> None:
        """Write new decay state for existing items (texts and vectors unchanged)."""
        size = self._batch_size()
        try:
            for start in range(0, len(updated), size):
                chunk = updated[start : start + size]
                col.update(ids=[i.id for i in chunk], metadatas=[to_metadata(i) for i in chunk])  # type: ignore[misc]
            rev = self._bump(col)
        except Exception as exc:
            self._snapshots.pop(client_id, None)
            try:  # put the previous state back
                old = [snap.items[snap.positions[i.id]] for i in updated]
                col.update(ids=[i.id for i in old], metadatas=[to_metadata(i) for i in old])  # type: ignore[misc]
                self._bump(col)
            except Exception:
                pass
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"Chroma failed to update {len(updated)} memories: {exc}") from exc
        items = list(snap.items)
        for item in updated:
            items[snap.positions[item.id]] = item
        self._snapshots[client_id] = Snapshot.build(rev, items, snap.matrix, snap.lexical)

    def _patched(
        self,
        snap: Snapshot,
        rev: str,
        changed: list[tuple[MemoryItem, np.ndarray, MemoryItem | None]],
    ) -> Snapshot:
        """Return ``snap`` with ``changed`` applied, reusing what did not change."""
        items = list(snap.items)
        tokens = list(snap.lexical.tokens)
        matrix = snap.matrix
        replaced = [(snap.positions[i.id], i, vec) for i, vec, old in changed if old is not None]
        appended = [(i, vec) for i, vec, old in changed if old is None]
        if replaced:
            matrix = matrix.copy()
            for pos, item, vec in replaced:
                items[pos] = item
                tokens[pos] = item_tokens(item)
                matrix[pos] = vec
        if appended:
            items.extend(i for i, _ in appended)
            new_tokens = [item_tokens(i) for i, _ in appended]
            tokens.extend(new_tokens)
            matrix = np.vstack([matrix, np.stack([vec for _, vec in appended])])
        lexical = Lazy(tuple(tokens))
        built = snap.lexical.index
        if not replaced and built is not None:
            # appending only: extend the built index instead of rebuilding it at the next search
            lexical.index = built.appended(new_tokens) if appended else built
        return Snapshot.build(rev, items, matrix, lexical)

    def _event(
        self,
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


def _first_distinct(
    snap: Snapshot, candidates: np.ndarray, order: np.ndarray, k: int
) -> np.ndarray:
    """Return the first ``k`` positions of ``order`` whose texts differ."""
    seen: set[str] = set()
    out: list[int] = []
    for j in order.tolist():
        text = snap.items[candidates[j]].text
        if text not in seen:
            seen.add(text)
            out.append(j)
            if len(out) == k:
                break
    return np.asarray(out, dtype=np.int64)


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
