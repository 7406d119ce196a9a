"""Temporal validity: which memory currently holds a fact key, and which ones it replaced.

Pure over a snapshot and a write, so the store only applies the result (see
:mod:`theraloop.memory.facts` for where keys come from).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from theraloop.memory._snapshot import Snapshot
from theraloop.memory.models import MemoryItem

Change = tuple[MemoryItem, np.ndarray, MemoryItem | None]
"""One item of a write: the new version, its vector, and the version it replaces (if any)."""


def supersede(snap: Snapshot, changed: list[Change]) -> tuple[list[Change], list[MemoryItem]]:
    """Mark every older holder of a written fact key as superseded by the newest holder.

    The newest memory (by ``created_at``, then by order of writing) holds the key; the others
    get ``superseded_by``. A back-dated write can therefore arrive already superseded.

    Returns:
        ``changed`` with the superseded versions applied (and older items appended), and the
        items newly superseded.
    """
    keys = {item.fact_key for item, _, _ in changed if item.fact_key is not None}
    if not keys:
        return changed, []
    by_id = {item.id: n for n, (item, _, _) in enumerate(changed)}
    out = list(changed)
    superseded: list[MemoryItem] = []
    for key in sorted(keys):
        holders: list[tuple[datetime, int, MemoryItem]] = []
        pos = snap.current_facts.get(key)
        if pos is not None and snap.items[pos].id not in by_id:
            holders.append((snap.items[pos].created_at, -1, snap.items[pos]))
        holders += [
            (item.created_at, n, item)
            for n, (item, _, _) in enumerate(out)
            if item.fact_key == key and item.superseded_by is None
        ]
        newest = max(holders, key=lambda h: (h[0], h[1]))[2]
        for _, n, item in holders:
            if item.id == newest.id:
                continue
            update = {"superseded_by": newest.id, "superseded_at": newest.created_at}
            new = item.model_copy(update=update)
            superseded.append(new)
            if n >= 0:
                out[n] = (new, out[n][1], out[n][2])
            else:
                row = snap.positions[item.id]
                out.append((new, snap.matrix[row], item))
    return out, superseded
