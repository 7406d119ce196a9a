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

Where each part lives: this module validates calls, holds the lock and the snapshot cache, and
applies results; :mod:`~theraloop.memory._collections` finds, creates, reads and drops the
Chroma collections; :mod:`~theraloop.memory._writes` merges and writes records;
:mod:`~theraloop.memory._search` filters and ranks a snapshot (the score is
:mod:`theraloop.memory.ranking`'s); :mod:`~theraloop.memory._erasure` works out what a forget
request removes; :mod:`~theraloop.memory._events` builds trace events.

Unknown clients: ``search`` and ``items`` read an unknown (valid) client as
one with no memories yet, since that is every client's first turn; ``get``, ``reinforce``,
``restore``, ``archive_forgotten``, ``purge_archived``, ``trace`` and ``export_client`` raise
:class:`UnknownClientError`; ``erase_client`` is idempotent and reports zeros.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from theraloop.memory import _validation as v
from theraloop.memory._chroma import collection_name, open_chroma_client
from theraloop.memory._collections import SCHEMA_VERSION, Collections
from theraloop.memory._erasure import forgotten_ids, scrubbed_trace
from theraloop.memory._events import event, written_event
from theraloop.memory._search import SearchFilter, candidates, rank
from theraloop.memory._snapshot import Snapshot, keep_rows, unit_rows
from theraloop.memory._trace import TraceLog
from theraloop.memory._validity import Change, supersede
from theraloop.memory._writes import check_new, merge, update_metadata, upsert
from theraloop.memory.clock import Clock, system_clock
from theraloop.memory.decay import DecayPolicy, item_retention, reinforced_strength
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
    TraceEvent,
)
from theraloop.memory.ranking import RankingPolicy

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

__all__ = ["MemoryStore", "open_chroma_client", "collection_name", "SCHEMA_VERSION"]

_RETIRED_KINDS = ("portrait", "plan")

_NAMESPACE = re.compile(r"[a-z][a-z0-9]{0,15}")


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
        self._cols = Collections(client, embedder, namespace)
        self._clock = clock
        self._policy = policy if policy is not None else DecayPolicy()
        self._ranking = ranking if ranking is not None else RankingPolicy()
        self._namespace = namespace
        self._trace = TraceLog(Path(trace_dir) if trace_dir is not None else None)
        self._snapshots: dict[str, Snapshot] = {}
        self._erasures: dict[str, int] = {}
        self._lock = threading.RLock()
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
        news = [check_new(r, f"records[{i}]", self._policy) for i, r in enumerate(records)]
        ids = [n.item_id for n in news if n.item_id is not None]
        if len(ids) != len(set(ids)):
            raise InvalidInputError(f"records repeat an item_id: {sorted(ids)!r}")
        for i, n in enumerate(news):
            if n.kind in _RETIRED_KINDS:
                raise InvalidInputError(
                    f"records[{i}] has kind {n.kind!r}; a client's portrait and plan are kept "
                    "in the agent's records (theraloop.agent.records.RecordBook), not in memory"
                )
        if not news:
            return []
        return self._write(cid, news, now=self.now())

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
                    event(
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
            self._update(cid, col, snap, updated)
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
                event(
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
            self._update(cid, col, snap, updated)
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
                events.append(event("archive", new, at, r, r, item.strength, item.strength))
            self._update(cid, col, snap, updated)
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
            rev = self._cols.bump(col)
            self._snapshots[cid] = keep_rows(snap, rev, np.flatnonzero(~snap.archived))
            self._trace.append(
                self._key(cid),
                [
                    event("purge", i, at, None, None, i.strength, None, detail=i.kind)
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
            doomed = forgotten_ids(snap, terms)
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
            rev = self._cols.bump(col)
            self._snapshots[cid] = keep_rows(snap, rev, rows)
            key = self._key(cid)
            self._trace.rewrite(key, scrubbed_trace(self._trace.read(key), doomed, terms, cid, at))
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
            dropped = self._cols.drop(cid, scrub_files=self._scrub_on_erase)
            self._snapshots.pop(cid, None)
            self._tombstones = {k: t for k, t in self._tombstones.items() if k[0] != cid}
            self._erasures[cid] = self._erasures.get(cid, 0) + 1
            events, files = self._trace.delete(key)
            if self._cols.find(cid, check_embedder=False) is not None:
                raise StoreError(f"collection {key!r} still exists after erasure; call again")
            return EraseReport(
                client_id=cid,
                existed=bool(dropped.collections or events or files),
                items_deleted=dropped.items,
                archived_deleted=dropped.archived,
                trace_events_deleted=events,
                collections_deleted=dropped.collections,
                trace_files_deleted=files,
                index_folders_deleted=dropped.folders,
                index_files_scrubbed=dropped.scrubbed,
                database_vacuumed=dropped.vacuumed,
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
        where = SearchFilter(
            kinds=kind_set,
            session_id=session,
            exclude_session_id=skipped,
            since=start,
            until=end,
            include_superseded=include_superseded,
        )
        positions = candidates(snap, where)
        if positions.size == 0:
            return []
        query_vec = self._embed([text], query=True)[0]
        hits = rank(
            snap,
            positions,
            text,
            query_vec,
            at,
            decay=self._policy,
            ranking=self._ranking,
            k=k,
            distinct=distinct,
        )
        if record and hits:
            events = [
                event(
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

    def current_facts(self, client_id: str) -> dict[str, MemoryItem]:
        """Return, per fact key, the memory that holds it now ({} for a client with none).

        Superseded, forgotten and archived memories are never among them.
        """
        cid = v.check_client_id(client_id)
        with self._lock:
            snap = self._current(cid)
        if snap is None:
            return {}
        return {
            key: snap.items[pos]
            for key, pos in sorted(snap.current_facts.items())
            if not snap.items[pos].archived
        }

    def has_client(self, client_id: str) -> bool:
        """Return whether the store holds memories for ``client_id``."""
        cid = v.check_client_id(client_id)
        with self._lock:
            return self._cols.find(cid, check_embedder=False) is not None

    def clients(self) -> list[str]:
        """Return the ids of every client this store (its namespace) holds, sorted."""
        with self._lock:
            return self._cols.client_ids()

    def trace(self, client_id: str) -> list[TraceEvent]:
        """Return the client's memory trace, oldest first.

        Raises:
            UnknownClientError: the store holds nothing for this client.
        """
        cid = v.check_client_id(client_id)
        key = self._key(cid)
        with self._lock:
            if self._cols.find(cid, check_embedder=False) is None and not self._trace.exists(key):
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
        return self._cols.key(client_id)

    def _now(self, now: datetime | None) -> datetime:
        return self.now() if now is None else v.check_time(now, "now")

    def _unknown(self, client_id: str) -> UnknownClientError:
        return UnknownClientError(
            f"no memories stored for client {client_id!r}; check the id, or add a memory first "
            "(store.clients() lists known clients)"
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

    def _current(self, client_id: str) -> Snapshot | None:
        """Return an up-to-date snapshot, or ``None`` for an unknown client (lock held)."""
        col = self._cols.find(client_id)
        if col is None:
            self._snapshots.pop(client_id, None)
            return None
        return self._fresh(client_id, col)

    def _fresh(self, client_id: str, col: Collection) -> Snapshot:
        snap = self._snapshots.get(client_id)
        rev = (col.metadata or {}).get("rev")
        if snap is None or snap.rev != rev:
            snap = self._cols.load(client_id, col)
            self._snapshots[client_id] = snap
        return snap

    def _require(self, client_id: str) -> tuple[Collection, Snapshot]:
        col = self._cols.find(client_id)
        if col is None:
            self._snapshots.pop(client_id, None)
            raise self._unknown(client_id)
        return col, self._fresh(client_id, col)

    def _lookup(self, client_id: str, snap: Snapshot, ids: Sequence[str]) -> list[MemoryItem]:
        missing = [i for i in ids if i not in snap.positions]
        if missing:
            raise NotFoundError(
                f"client {client_id!r} has no memories with ids {missing!r}; ids come from "
                "add() or search() for this same client"
            )
        return [snap.items[snap.positions[i]] for i in ids]

    def _write(self, client_id: str, news: list[NewMemory], *, now: datetime) -> list[MemoryItem]:
        """Embed, then upsert ``news`` into the client's collection in one logical write."""
        news = [self._redacted(client_id, n) for n in news]
        vectors = self._embed([n.text for n in news])
        with self._lock:
            col = self._cols.find(client_id)
            created = False
            if col is None:
                col, created = self._cols.create(client_id, self.now())
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
                item = merge(client_id, new, old, now, self._policy)
                results.append(item)
                if old is not None and item == old:
                    continue  # a replayed identical write: nothing to do
                changed.append((item, vec, old))
                events.append(written_event(item, old, now, self._policy))
            if not changed:
                return results
            changed, superseded = supersede(snap, changed)
            events += [
                event("supersede", i, now, None, None, None, None, detail=i.superseded_by)
                for i in superseded
            ]
            latest = {item.id: item for item, _, _ in changed}
            results = [latest.get(r.id, r) for r in results]
            self._store(client_id, col, snap, changed, created=created)
            self._trace.append(self._key(client_id), events)
            return results

    def _redacted(self, client_id: str, new: NewMemory) -> NewMemory:
        """Return ``new`` without the words its session asked to forget (see :meth:`forget`)."""
        terms = self._tombstones.get((client_id, new.session_id or ""))
        if not terms:
            return new
        context = redact(new.context, terms) if new.context is not None else None
        return new.model_copy(update={"text": redact(new.text, terms), "context": context})

    def _store(
        self,
        client_id: str,
        col: Collection,
        snap: Snapshot,
        changed: list[Change],
        *,
        created: bool,
    ) -> None:
        """Upsert ``changed`` and cache the patched snapshot (dropped if Chroma failed)."""
        try:
            self._snapshots[client_id] = upsert(self._cols, col, snap, changed, created=created)
        except StoreError:
            self._snapshots.pop(client_id, None)
            raise
        try:
            if col.count() != len(self._snapshots[client_id].items):
                self._snapshots.pop(client_id, None)  # another process wrote too: reload later
        except Exception:
            self._snapshots.pop(client_id, None)

    def _update(
        self, client_id: str, col: Collection, snap: Snapshot, updated: list[MemoryItem]
    ) -> None:
        """Write new decay state of existing items and cache the snapshot (dropped on failure)."""
        try:
            self._snapshots[client_id] = update_metadata(self._cols, col, snap, updated)
        except StoreError:
            self._snapshots.pop(client_id, None)
            raise
