"""The store's write path: validate a record, merge it with the stored version, write to Chroma.

Every function here returns new values (items, snapshots) and leaves the caller's snapshot cache
alone; on failure it undoes what it wrote where it can and raises :class:`StoreError`, and the
caller drops its cached snapshot so the next read reloads from Chroma.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from theraloop.memory import _validation as v
from theraloop.memory._codec import to_metadata
from theraloop.memory._collections import Collections
from theraloop.memory._snapshot import Lazy, Snapshot, item_tokens
from theraloop.memory._validity import Change
from theraloop.memory.decay import DecayPolicy, initial_strength
from theraloop.memory.errors import InvalidInputError, StoreError
from theraloop.memory.models import MemoryItem, NewMemory

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


def check_new(record: Mapping[str, Any] | NewMemory, where: str, policy: DecayPolicy) -> NewMemory:
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
        strength = v.check_strength(strength, f"{where}.strength", maximum=policy.max_strength)
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


def merge(
    client_id: str, new: NewMemory, old: MemoryItem | None, now: datetime, policy: DecayPolicy
) -> MemoryItem:
    """Return the item ``new`` makes: a fresh one, or ``old`` rewritten (its decay state kept)."""
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
    strength = new.strength or initial_strength(policy, new.importance)
    return MemoryItem(
        id=new.item_id or uuid.uuid4().hex,
        client_id=client_id,
        created_at=created,
        updated_at=created,
        last_recalled_at=created,
        strength=strength,
        **content,
    )


def upsert(
    cols: Collections, col: Collection, snap: Snapshot, changed: list[Change], *, created: bool
) -> Snapshot:
    """Write ``changed`` in batches and return the patched snapshot.

    Raises:
        StoreError: Chroma failed; the batches already written were undone (best effort).
    """
    size = cols.batch_size()
    done: list[Change] = []
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
        rev = cols.bump(col)
    except Exception as exc:
        _rollback(cols, col, snap, done, created=created)
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"Chroma failed to store {len(changed)} memories: {exc}") from exc
    return _patched(snap, rev, changed)


def _rollback(
    cols: Collections, col: Collection, snap: Snapshot, done: list[Change], *, created: bool
) -> None:
    """Best-effort undo of a partly applied write (new ids deleted, old versions put back)."""
    try:
        if created:
            cols.client.delete_collection(name=col.name)
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
        cols.bump(col)
    except Exception:  # the original error is the one to report; the next read reloads
        pass


def update_metadata(
    cols: Collections, col: Collection, snap: Snapshot, updated: list[MemoryItem]
) -> Snapshot:
    """Write new decay state for existing items (texts and vectors unchanged); return the snapshot.

    Raises:
        StoreError: Chroma failed; the previous state was put back (best effort).
    """
    size = cols.batch_size()
    try:
        for start in range(0, len(updated), size):
            chunk = updated[start : start + size]
            col.update(ids=[i.id for i in chunk], metadatas=[to_metadata(i) for i in chunk])  # type: ignore[misc]
        rev = cols.bump(col)
    except Exception as exc:
        try:  # put the previous state back
            old = [snap.items[snap.positions[i.id]] for i in updated]
            col.update(ids=[i.id for i in old], metadatas=[to_metadata(i) for i in old])  # type: ignore[misc]
            cols.bump(col)
        except Exception:
            pass
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"Chroma failed to update {len(updated)} memories: {exc}") from exc
    items = list(snap.items)
    for item in updated:
        items[snap.positions[item.id]] = item
    return Snapshot.build(rev, items, snap.matrix, snap.lexical)


def _patched(snap: Snapshot, rev: str, changed: list[Change]) -> Snapshot:
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
