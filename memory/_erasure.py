"""What a forget request removes: the memories holding its words and everything derived from them.

Pure over a snapshot and a trace, so the store only applies the result to Chroma and the trace
file (see :meth:`theraloop.memory.MemoryStore.forget`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from theraloop.memory._snapshot import Snapshot
from theraloop.memory.facts import redact
from theraloop.memory.models import TraceEvent


def forgotten_ids(snap: Snapshot, terms: frozenset[str]) -> set[str]:
    """Return the ids of memories holding any of ``terms`` and of those derived from them.

    A memory is derived from another when its ``source_ids`` name it (a reply, a summary); the
    derivation is followed to a fixed point.
    """
    doomed = {
        snap.items[pos].id
        for pos, tokens in enumerate(snap.lexical.tokens)
        if terms.intersection(tokens)
    }
    grew = bool(doomed)
    while grew:
        derived = {i.id for i in snap.items if doomed.intersection(i.source_ids)}
        grew = not derived <= doomed
        doomed |= derived
    return doomed


def scrubbed_trace(
    events: Iterable[TraceEvent],
    doomed: set[str],
    terms: frozenset[str],
    client_id: str,
    at: datetime,
) -> list[TraceEvent]:
    """Return the trace without the forgotten items' events, the words redacted from the rest.

    One ``forget`` event without text is appended per forgotten id (sorted).
    """
    kept = [
        e.model_copy(
            update={
                "query": redact(e.query, terms) if e.query else e.query,
                "detail": redact(e.detail, terms) if e.detail else e.detail,
            }
        )
        for e in events
        if e.item_id not in doomed
    ]
    gone = [
        TraceEvent(kind="forget", client_id=client_id, item_id=i, at=at) for i in sorted(doomed)
    ]
    return kept + gone
