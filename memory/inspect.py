"""Read-only views of a client's memory for notebooks: tables, curves, explanations, forecasts.

Data flow::

    open_memory_dir(data_dir) -> MemoryStore over data_dir/chroma + data_dir/memory-trace
        (theraloop.memory.datadir, the layout the agent writes; re-exported here)
    items_table / recall_timeline / explain_search / forecast_table  -> pandas DataFrames
    retention_curves / archive_horizon                               -> DataFrames to plot
    plot_retention_curves / plot_recall_timeline / plot_search_explanation /
    plot_archive_horizon                                             -> matplotlib Figures

Every function is pure with respect to the store: none writes, none appends to the trace.
pandas and matplotlib are imported inside each function, so importing this module stays cheap.
Figures are built on the Agg canvas directly (no pyplot global state), so they work headless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from theraloop.memory import _validation as v
from theraloop.memory.datadir import CHROMA_DIR, TRACE_DIR, open_memory_dir
from theraloop.memory.decay import DecayPolicy, elapsed_days, item_retention, retention
from theraloop.memory.errors import InvalidInputError, NotFoundError
from theraloop.memory.models import MemoryItem, TraceEvent

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from theraloop.memory.store import MemoryStore

__all__ = [
    "CHROMA_DIR",
    "TRACE_DIR",
    "open_memory_dir",
    "items_table",
    "retention_curve",
    "retention_curves",
    "recall_timeline",
    "explain_search",
    "forecast_archive",
    "forecast_table",
    "archive_horizon",
    "plot_retention_curves",
    "plot_recall_timeline",
    "plot_search_explanation",
    "plot_archive_horizon",
]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _short(text: object, width: int = 48) -> str:
    words = " ".join(str(text or "").split())
    return words if len(words) <= width else words[: width - 1] + "\u2026"


def items_table(store: MemoryStore, client_id: str, now: datetime | None = None) -> pd.DataFrame:
    """Return one row per memory (archived included) with its retention at ``now``.

    Columns: id, kind, text, session_id, created, last_recalled, strength, recall_count,
    retention, pinned, archived, fact_key, superseded_by (the id of the newer memory that
    replaced it as current, if any). ``retention`` counts calendar days; ranking and archiving
    cap a session memory's age at ``DecayPolicy.session_days`` per later session, so for a client
    seen less than weekly they keep it higher than this column shows.
    """
    import pandas as pd

    at = store.now() if now is None else v.check_time(now, "now")
    rows = [
        {
            "id": i.id,
            "kind": i.kind,
            "text": i.text,
            "session_id": i.session_id,
            "created": i.created_at,
            "last_recalled": i.last_recalled_at,
            "strength": i.strength,
            "recall_count": i.recall_count,
            "retention": item_retention(i, at, store.policy),
            "pinned": i.pinned,
            "archived": i.archived,
            "fact_key": i.fact_key,
            "superseded_by": i.superseded_by,
        }
        for i in store.items(client_id, include_archived=True)
    ]
    columns = [
        "id",
        "kind",
        "text",
        "session_id",
        "created",
        "last_recalled",
        "strength",
        "recall_count",
        "retention",
        "pinned",
        "archived",
        "fact_key",
        "superseded_by",
    ]
    return pd.DataFrame(rows, columns=columns)


def retention_curve(
    item: MemoryItem,
    trace: Sequence[TraceEvent],
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(hours=6),
    *,
    policy: DecayPolicy | None = None,
) -> pd.DataFrame:
    """Rebuild the saw-tooth retention of ``item`` between ``start`` and ``end`` from its trace.

    Each ``reinforce`` event restarts the curve at 1 with the strength it recorded; before the
    first one the curve starts at creation with the initial strength (taken from the ``add``
    event, or inferred from the first reinforcement). Reinforcement instants appear twice, just
    before (the drop) and at the event (back to 1), so a plot shows the jumps.

    Args:
        item: The memory (its id selects the events).
        trace: The client's trace (``store.trace(client_id)``).
        start: First time on the curve.
        end: Last time on the curve.
        step: Sampling interval.
        policy: The store's decay policy (``store.policy``); default :class:`DecayPolicy`.

    Returns:
        Columns ``at``, ``retention``, ``strength``, ``event`` (``None`` or ``"reinforce"``).

    Raises:
        InvalidInputError: ``end`` precedes ``start``, ``step`` is not positive, or naive times.
    """
    import pandas as pd

    policy = policy or DecayPolicy()
    t0, t1 = v.check_time(start, "start"), v.check_time(end, "end")
    if t1 < t0:
        raise InvalidInputError(f"end {t1!r} precedes start {t0!r}")
    if step <= timedelta(0):
        raise InvalidInputError(f"step must be positive, got {step!r}")
    events = sorted(
        (e for e in trace if e.item_id == item.id and e.kind in ("add", "reinforce", "restore")),
        key=lambda e: e.at,
    )
    reinforcements = [e for e in events if e.kind in ("reinforce", "restore")]
    added = next((e for e in events if e.kind == "add"), None)
    if added is not None and added.strength_after is not None:
        s0 = added.strength_after
    elif reinforcements and reinforcements[0].strength_before is not None:
        s0 = reinforcements[0].strength_before
    else:
        s0 = item.strength
    # (time, strength) at which each segment of the curve starts
    segments = [(item.created_at, s0)]
    segments += [(e.at, e.strength_after or s0) for e in reinforcements]

    def point(at: datetime) -> tuple[float, float]:
        begin, strength = segments[0]
        for seg_at, seg_strength in segments:
            if seg_at <= at:
                begin, strength = seg_at, seg_strength
        if item.pinned:
            return 1.0, strength
        if at < item.created_at:
            return math.nan, strength
        return retention(elapsed_days(begin, at), strength, policy.k), strength

    times: list[tuple[datetime, str | None]] = []
    t = t0
    while t <= t1:
        times.append((t, None))
        t += step
    for e in reinforcements:
        if t0 <= e.at <= t1:
            times.append((e.at - timedelta(microseconds=1), None))
            times.append((e.at, e.kind))
    times.sort(key=lambda pair: pair[0])
    rows = []
    for at, event in times:
        r, s = point(at)
        rows.append({"at": at, "retention": r, "strength": s, "event": event})
    return pd.DataFrame(rows, columns=["at", "retention", "strength", "event"])


def recall_timeline(store: MemoryStore, client_id: str) -> pd.DataFrame:
    """Return the client's trace as a table, oldest first, with each item's kind and text.

    Columns: at, event, item_id, kind, text, query, score, retention_before, retention_after,
    strength_before, strength_after. Purged items keep their rows with an empty text.
    """
    import pandas as pd

    known = {i.id: i for i in store.items(client_id, include_archived=True)}
    rows = []
    for e in store.trace(client_id):
        item = known.get(e.item_id)
        rows.append(
            {
                "at": e.at,
                "event": e.kind,
                "item_id": e.item_id,
                "kind": item.kind if item else None,
                "text": item.text if item else None,
                "query": e.query,
                "score": e.score,
                "retention_before": e.retention_before,
                "retention_after": e.retention_after,
                "strength_before": e.strength_before,
                "strength_after": e.strength_after,
            }
        )
    columns = [
        "at",
        "event",
        "item_id",
        "kind",
        "text",
        "query",
        "score",
        "retention_before",
        "retention_after",
        "strength_before",
        "strength_after",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("at", kind="stable", ignore_index=True)


def explain_search(
    store: MemoryStore,
    client_id: str,
    query: str,
    now: datetime | None = None,
    *,
    k: int = 10,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Return the top ``k`` hits for ``query`` with each component of their score.

    Columns: rank, id, kind, text, similarity, lexical, retention, dense_part, lexical_part,
    decay_factor, score. ``score = (dense_part + lexical_part) * decay_factor``. Nothing is
    written to the trace.

    To look again at a search the agent made, pass the query of its ``recall`` events and
    ``until`` just before their time: the memories written afterwards (the client's own words
    of that turn among them) are left out. Retention is still the one at ``now``.
    """
    import pandas as pd

    w = store.ranking
    rows = []
    for hit in store.search(client_id, query, k=k, now=now, until=until, record=False):
        rows.append(
            {
                "rank": hit.rank,
                "id": hit.item.id,
                "kind": hit.item.kind,
                "text": hit.item.text,
                "similarity": hit.similarity,
                "lexical": hit.lexical,
                "retention": hit.retention,
                "dense_part": w.dense_weight * max(hit.similarity, 0.0),
                "lexical_part": w.lexical_weight * hit.lexical,
                "decay_factor": 1.0 - w.retention_weight + w.retention_weight * hit.retention,
                "score": hit.score,
            }
        )
    columns = [
        "rank",
        "id",
        "kind",
        "text",
        "similarity",
        "lexical",
        "retention",
        "dense_part",
        "lexical_part",
        "decay_factor",
        "score",
    ]
    return pd.DataFrame(rows, columns=columns)


def forecast_archive(
    store: MemoryStore, client_id: str, days: float, now: datetime | None = None
) -> list[MemoryItem]:
    """Return the memories ``archive_forgotten`` would archive ``days`` from ``now``.

    Assumes no memory is reinforced meanwhile. Pinned and already archived memories never appear.

    Raises:
        InvalidInputError: ``days`` is negative or not finite.
    """
    if isinstance(days, bool) or not isinstance(days, int | float) or not math.isfinite(days):
        raise InvalidInputError(f"days must be a finite number, got {days!r}")
    if days < 0:
        raise InvalidInputError(f"days must be >= 0, got {days!r}; the forecast looks ahead")
    at = (store.now() if now is None else v.check_time(now, "now")) + timedelta(days=days)
    threshold = store.policy.archive_threshold
    return [
        i
        for i in store.items(client_id)
        if not i.pinned and item_retention(i, at, store.policy) < threshold
    ]


def retention_curves(
    store: MemoryStore,
    client_id: str,
    item_ids: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    step: timedelta = timedelta(hours=6),
) -> pd.DataFrame:
    """Return the retention curves of several memories in one long table, recalls marked.

    Each curve is :func:`retention_curve` of one item, plus one row per ``recall`` event (the
    item was found by a search; the curve does not move) so a plot can show which recalls were
    then confirmed as used (``reinforce``, where the curve jumps back to 1).

    Args:
        store: The store.
        client_id: Whose memories.
        item_ids: The memories to draw (archived ones too).
        start: First time; default the creation of the oldest selected memory.
        end: Last time; default the store clock's now.
        step: Sampling interval.

    Returns:
        Columns ``item_id``, ``kind``, ``label`` (the text, shortened), ``at``, ``retention``,
        ``strength``, ``event`` (``None``, ``"recall"``, ``"reinforce"`` or ``"restore"``).

    Raises:
        NotFoundError: an id is not one of the client's memories.
        InvalidInputError: the range is reversed or a time is naive.
    """
    import pandas as pd

    known = {i.id: i for i in store.items(client_id, include_archived=True)}
    missing = [i for i in item_ids if i not in known]
    if missing:
        raise NotFoundError(f"client {client_id!r} has no memories with ids {missing!r}")
    items = [known[i] for i in dict.fromkeys(item_ids)]
    columns = ["item_id", "kind", "label", "at", "retention", "strength", "event"]
    if not items:
        return pd.DataFrame(columns=columns)
    t0 = min(i.created_at for i in items) if start is None else v.check_time(start, "start")
    t1 = store.now() if end is None else v.check_time(end, "end")
    trace = store.trace(client_id)
    frames = []
    for item in items:
        curve = retention_curve(item, trace, t0, t1, step, policy=store.policy)
        recalls = [e for e in trace if e.item_id == item.id and e.kind == "recall"]
        extra = []
        if t0 < item.created_at <= t1 and not (curve["at"] == item.created_at).any():
            # start each line where the memory was written, not at the next sample
            born = retention_curve(
                item, trace, item.created_at, item.created_at, step, policy=store.policy
            )
            extra.append({**born.iloc[-1].to_dict(), "event": None})
        for e in recalls:
            if t0 <= e.at <= t1:
                # the value just before a reinforcement at the same instant: found, then used
                point = retention_curve(item, trace, e.at, e.at, step, policy=store.policy)
                extra.append({**point.iloc[0].to_dict(), "at": e.at, "event": "recall"})
        if extra:
            curve = pd.concat([curve, pd.DataFrame(extra)], ignore_index=True)
        first = (curve["event"] != "recall").astype(int)  # a recall precedes its reinforcement
        curve = (
            curve.assign(_order=first)
            .sort_values(["at", "_order"], kind="stable", ignore_index=True)
            .drop(columns="_order")
        )
        curve["event"] = curve["event"].astype(object).where(curve["event"].notna(), None)
        curve.insert(0, "label", _short(item.text))
        curve.insert(0, "kind", item.kind)
        curve.insert(0, "item_id", item.id)
        frames.append(curve)
    return pd.concat(frames, ignore_index=True)[columns]


def forecast_table(
    store: MemoryStore, client_id: str, days: float, now: datetime | None = None
) -> pd.DataFrame:
    """Return every active memory with its retention now and ``days`` later, weakest first.

    ``archived_then`` marks the memories :func:`forecast_archive` predicts ``archive_forgotten``
    would archive after a fast-forward of ``days`` without any reinforcement.

    Returns:
        Columns id, kind, text, strength, last_recalled, retention_now, retention_then,
        archived_then.

    Raises:
        InvalidInputError: ``days`` is negative or not finite.
    """
    import pandas as pd

    at = store.now() if now is None else v.check_time(now, "now")
    doomed = {i.id for i in forecast_archive(store, client_id, days, now=at)}
    later = at + timedelta(days=days)
    rows = [
        {
            "id": i.id,
            "kind": i.kind,
            "text": i.text,
            "strength": i.strength,
            "last_recalled": i.last_recalled_at,
            "retention_now": item_retention(i, at, store.policy),
            "retention_then": item_retention(i, later, store.policy),
            "archived_then": i.id in doomed,
        }
        for i in store.items(client_id)
    ]
    columns = [
        "id",
        "kind",
        "text",
        "strength",
        "last_recalled",
        "retention_now",
        "retention_then",
        "archived_then",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("retention_then", kind="stable", ignore_index=True)


def archive_horizon(
    store: MemoryStore, client_id: str, days: Sequence[float], now: datetime | None = None
) -> pd.DataFrame:
    """Return how many memories would stay active after each fast-forward in ``days``.

    Returns:
        Columns ``days``, ``active`` and ``archived`` (would be archived by then).

    Raises:
        InvalidInputError: a value of ``days`` is negative or not finite.
    """
    import pandas as pd

    at = store.now() if now is None else v.check_time(now, "now")
    total = len(store.items(client_id))
    rows = []
    for d in days:
        gone = len(forecast_archive(store, client_id, d, now=at))
        rows.append({"days": float(d), "active": total - gone, "archived": gone})
    return pd.DataFrame(rows, columns=["days", "active", "archived"])


# -------------------------------------------------------------------------------- plots -----
_EVENT_STYLE: dict[str, tuple[str, str, float]] = {
    # event: (marker, colour, size)
    "add": ("o", "0.55", 30.0),
    "update": ("s", "tab:purple", 30.0),
    "recall": ("|", "tab:blue", 60.0),
    "reinforce": ("^", "tab:green", 45.0),
    "restore": ("P", "tab:olive", 45.0),
    "archive": ("x", "tab:red", 45.0),
    "purge": ("X", "black", 45.0),
}


def plot_retention_curves(
    curves: pd.DataFrame,
    *,
    threshold: float | None = None,
    now: datetime | None = None,
) -> Figure:
    """Plot :func:`retention_curves`: one saw-tooth per memory, recalls and reinforcements marked.

    Args:
        curves: The table from :func:`retention_curves`.
        threshold: Draw the archive threshold (``store.policy.archive_threshold``).
        now: Draw a vertical line at this time (e.g. the store's now).
    """
    fig = _figure(11, 4.5)
    ax = fig.subplots()
    for index, (_, sub) in enumerate(curves.groupby("item_id", sort=False)):
        color = f"C{index % 10}"
        label = f"{sub['kind'].iloc[0]}: {sub['label'].iloc[0]}"
        line = sub[sub["event"] != "recall"]
        ax.plot(line["at"], line["retention"], color=color, linewidth=1.4, label=label)
        recalls = sub[sub["event"] == "recall"]
        ax.scatter(recalls["at"], recalls["retention"], color=color, marker="|", s=120)
        boosts = sub[sub["event"].isin(["reinforce", "restore"])]
        ax.scatter(
            boosts["at"],
            boosts["retention"],
            color=color,
            marker="^",
            s=45,
            edgecolors="black",
            linewidths=0.5,
            zorder=3,
        )
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", linewidth=0.9, linestyle="--")
        ax.annotate(
            "archive threshold",
            (0.0, threshold),
            xycoords=("axes fraction", "data"),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
            color="tab:red",
        )
    if now is not None:
        ax.axvline(v.check_time(now, "now"), color="0.5", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("retention R = exp(-dt / (k S))")
    ax.set_xlabel("time")
    ax.set_title("Retention per memory (| recalled by a search, ^ reinforced: used in a reply)")
    if len(curves):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    return fig


def plot_recall_timeline(timeline: pd.DataFrame, *, max_items: int = 40) -> Figure:
    """Plot :func:`recall_timeline`: one row per memory, one marker per trace event.

    Args:
        timeline: The table from :func:`recall_timeline`.
        max_items: Draw at most this many memories (the first ones added).
    """
    order = list(dict.fromkeys(timeline["item_id"]))[:max_items]
    rows = {item_id: y for y, item_id in enumerate(order)}
    shown = timeline[timeline["item_id"].isin(rows)]
    fig = _figure(11, 1.6 + 0.26 * max(1, len(order)))
    ax = fig.subplots()
    for event, (marker, color, size) in _EVENT_STYLE.items():
        pts = shown[shown["event"] == event]
        if pts.empty:
            continue
        ax.scatter(
            pts["at"],
            pts["item_id"].map(rows),
            marker=marker,
            color=color,
            s=size,
            label=f"{event} ({len(pts)})",
            zorder=3 if event != "recall" else 2,
        )
    labels = []
    for item_id in order:
        first = shown[shown["item_id"] == item_id].iloc[0]
        labels.append(f"{first['kind'] or '?'}: {_short(first['text'], 40)}")
    ax.set_yticks(range(len(order)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.grid(axis="y", alpha=0.2)
    ax.set_xlabel("time")
    ax.set_title("Memory trace: when each memory was added, recalled, reinforced, archived")
    if not shown.empty:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    return fig


def plot_search_explanation(table: pd.DataFrame, *, query: str | None = None) -> Figure:
    """Plot :func:`explain_search`: each hit's dense and lexical parts and its final score.

    The bar is the relevance (dense + lexical part); the black mark is the score after the
    retention factor, so the gap between them is what forgetting took away.
    """
    fig = _figure(11, 1.4 + 0.42 * max(1, len(table)))
    ax = fig.subplots()
    y = list(range(len(table)))
    ax.barh(y, table["dense_part"], color="tab:blue", label="dense (cosine) part")
    ax.barh(
        y,
        table["lexical_part"],
        left=table["dense_part"],
        color="tab:orange",
        label="lexical (BM25) part",
    )
    ax.scatter(
        table["score"],
        y,
        marker="D",
        color="black",
        s=28,
        zorder=3,
        label="score = relevance x retention factor",
    )
    for row, (_, hit) in zip(y, table.iterrows(), strict=True):
        ax.annotate(
            f"R={hit['retention']:.2f}",
            (hit["dense_part"] + hit["lexical_part"], row),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=7,
        )
    labels = [
        f"{r}. {k}: {_short(t, 44)}"
        for r, k, t in zip(table["rank"], table["kind"], table["text"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    widest = float((table["dense_part"] + table["lexical_part"]).max()) if len(table) else 0.0
    ax.set_xlim(0, max(widest, 1e-6) * 1.18)  # room for the R= labels
    ax.set_xlabel("score components")
    title = "Why these memories were recalled"
    ax.set_title(f"{title}: {_short(query, 70)!r}" if query else title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_archive_horizon(horizon: pd.DataFrame) -> Figure:
    """Plot :func:`archive_horizon`: active memories left after a fast-forward of N days."""
    fig = _figure(7, 3.2)
    ax = fig.subplots()
    ax.step(horizon["days"], horizon["active"], where="post", color="tab:blue", label="active")
    ax.step(horizon["days"], horizon["archived"], where="post", color="tab:red", label="archived")
    ax.set_xlabel("days fast-forwarded without reinforcement")
    ax.set_ylabel("memories")
    ax.set_ylim(bottom=0)
    ax.set_title("What forgetting would archive", fontsize=9)
    ax.legend(fontsize=7)
    return fig
