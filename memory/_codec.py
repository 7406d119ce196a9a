"""Mapping between :class:`MemoryItem` and a Chroma record (id, document, metadata).

Chroma metadata values must be scalars and an update merges keys, so the full item (minus its
text, which is the document) travels as one JSON string, beside a few scalar keys that Chroma can
filter on when someone queries a collection directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from theraloop.memory.errors import StoreError
from theraloop.memory.models import MemoryItem

ITEM_KEY = "tl_item"


def to_metadata(item: MemoryItem) -> dict[str, str | int | float | bool]:
    """Return the Chroma metadata of ``item`` (every key always present, so merges replace)."""
    payload = item.model_dump(mode="json", exclude={"id", "text"})
    return {
        ITEM_KEY: json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        "kind": item.kind,
        "archived": item.archived,
        "pinned": item.pinned,
        "session_id": item.session_id or "",
        "created_ts": item.created_at.timestamp(),
    }


def from_record(
    item_id: str, document: str | None, metadata: Mapping[str, Any] | None
) -> MemoryItem:
    """Rebuild the item stored as (``item_id``, ``document``, ``metadata``).

    Raises:
        StoreError: the record was not written by theraloop or is damaged.
    """
    if document is None or not metadata or ITEM_KEY not in metadata:
        raise StoreError(
            f"record {item_id!r} was not written by theraloop (no {ITEM_KEY!r} metadata); "
            "do not write into theraloop collections directly"
        )
    try:
        payload = json.loads(metadata[ITEM_KEY])
        return MemoryItem.model_validate({**payload, "id": item_id, "text": document})
    except (ValueError, ValidationError) as exc:
        raise StoreError(f"record {item_id!r} has damaged metadata: {exc}") from exc
