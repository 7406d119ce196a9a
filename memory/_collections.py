"""The store's Chroma side: one collection per client, found, checked, created and read here.

A collection's metadata records the layout version, the owning client, the embedder's name and
dimensions and a revision token that every write rewrites, so other processes know to reload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from theraloop.memory import _validation as v
from theraloop.memory._chroma import collection_name, local_directory, scrub, segment_folders
from theraloop.memory._codec import from_record
from theraloop.memory._snapshot import Snapshot, unit_rows
from theraloop.memory.embeddings import Embedder
from theraloop.memory.errors import EmbedderMismatchError, StoreError
from theraloop.memory.models import MemoryItem

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 1
"""Layout version written into every collection's metadata."""

_PAGE = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    """What dropping one client's collection removed."""

    items: int = 0
    """Memories in the collection (archived ones included)."""
    archived: int = 0
    """Archived memories among them."""
    collections: int = 0
    """Collections dropped (0 or 1)."""
    folders: int = 0
    """Index folders deleted from disk (embedded client only)."""
    scrubbed: int = 0
    """Index files whose unused tail was zeroed."""
    vacuumed: bool = False
    """Whether Chroma's SQLite file was vacuumed."""


class Collections:
    """One namespace of per-client collections in a Chroma database, for one embedder."""

    def __init__(self, client: ClientAPI, embedder: Embedder, namespace: str) -> None:
        """Address ``namespace``'s collections in ``client``; vectors come from ``embedder``."""
        self.client = client
        self.embedder = embedder
        self.namespace = namespace
        self._max_batch: int | None = None

    def key(self, client_id: str) -> str:
        """Return the client's collection name (also its trace file's stem)."""
        return collection_name(client_id, self.namespace)

    def find(self, client_id: str, *, check_embedder: bool = True) -> Collection | None:
        """Return the client's collection, or ``None`` if it does not exist."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        name = self.key(client_id)
        try:
            col = self.client.get_collection(name=name, embedding_function=None)
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
        self._check(client_id, col, check_embedder=check_embedder)
        return col

    def _check(self, client_id: str, col: Collection, *, check_embedder: bool) -> None:
        meta = col.metadata or {}
        if meta.get("theraloop_schema") is None or meta.get("client_id") != client_id:
            raise StoreError(
                f"collection {col.name!r} exists but does not hold theraloop memories of client "
                f"{client_id!r} (metadata {meta!r}); use another namespace"
            )
        if check_embedder and (
            meta.get("embedder") != self.embedder.name
            or meta.get("dimensions") != self.embedder.dimensions
        ):
            raise EmbedderMismatchError(
                f"client {client_id!r}'s memories were embedded with {meta.get('embedder')!r} "
                f"({meta.get('dimensions')!r} dims) but this store uses "
                f"{self.embedder.name!r} ({self.embedder.dimensions} dims); open the store "
                "with the original embedder, or export the client and re-add its memories"
            )

    def create(self, client_id: str, now: datetime) -> tuple[Collection, bool]:
        """Create the client's collection, or join one another process just created.

        Returns:
            The collection, and whether this call created it (and may drop it on rollback).
        """
        name = self.key(client_id)
        metadata = {
            "theraloop_schema": SCHEMA_VERSION,
            "client_id": client_id,
            "embedder": self.embedder.name,
            "dimensions": self.embedder.dimensions,
            "created_at": now.isoformat(),
            "rev": uuid.uuid4().hex,
        }
        try:
            col = self.client.create_collection(
                name=name,
                metadata=metadata,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            return col, True
        except Exception as exc:
            existing = self.find(client_id)
            if existing is None:
                raise StoreError(f"Chroma failed to create {name!r}: {exc}") from exc
            return existing, False

    def load(self, client_id: str, col: Collection) -> Snapshot:
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
        dims = self.embedder.dimensions
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, dims), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: (items[i].created_at, items[i].id))
        return Snapshot.build(rev, [items[i] for i in order], unit_rows(matrix[order], dims))

    def drop(self, client_id: str, *, scrub_files: bool) -> Dropped:
        """Drop the client's collection; nothing to drop reports zeros.

        Args:
            client_id: Whose collection.
            scrub_files: With an embedded client, also delete the collection's index folder and
                VACUUM Chroma's SQLite file, which Chroma leaves behind.

        Raises:
            StoreError: Chroma failed; the collection may still exist.
        """
        key = self.key(client_id)
        col = self.find(client_id, check_embedder=False)
        if col is None:
            return Dropped()
        root = local_directory(self.client)
        try:  # count without decoding, so even a damaged collection can be erased
            items = col.count()
            archived = len(col.get(where={"archived": True}, include=[])["ids"])
        except Exception as exc:
            raise StoreError(f"Chroma failed to read {key!r}: {exc}") from exc
        on_disk = segment_folders(root, key) if root is not None else []
        try:
            self.client.delete_collection(name=key)
        except Exception as exc:
            if self.find(client_id, check_embedder=False) is not None:
                raise StoreError(f"Chroma failed to drop {key!r}: {exc}") from exc
        folders, vacuumed, zeroed = 0, False, []
        if root is not None and scrub_files:
            folders, vacuumed, zeroed = scrub(root, on_disk)
        return Dropped(
            items=items,
            archived=archived,
            collections=1,
            folders=folders,
            scrubbed=len(zeroed),
            vacuumed=vacuumed,
        )

    def bump(self, col: Collection) -> str:
        """Give the collection a new revision so every process reloads its snapshot."""
        rev = uuid.uuid4().hex
        try:
            col.modify(metadata={**(col.metadata or {}), "rev": rev})
        except Exception as exc:
            raise StoreError(f"Chroma failed to update {col.name!r}'s revision: {exc}") from exc
        return rev

    def batch_size(self) -> int:
        """Return the most records Chroma takes in one write."""
        if self._max_batch is None:
            try:
                self._max_batch = max(1, int(self.client.get_max_batch_size()))
            except Exception:  # servers that do not report it
                self._max_batch = 1000
        return self._max_batch

    def client_ids(self) -> list[str]:
        """Return the ids of every client this namespace holds, sorted."""
        try:
            collections = self.client.list_collections()
        except Exception as exc:
            raise StoreError(f"Chroma failed to list collections: {exc}") from exc
        out = []
        prefix = f"{self.namespace}_"
        for col in collections:
            meta = col.metadata or {}
            cid = meta.get("client_id")
            if (
                col.name.startswith(prefix)
                and meta.get("theraloop_schema") is not None
                and isinstance(cid, str)
                and v.CLIENT_ID_PATTERN.fullmatch(cid)
                and collection_name(cid, self.namespace) == col.name
            ):
                out.append(cid)
        return sorted(out)
