"""Notebook helpers: tables, the saw-tooth retention curve, explanations, archive forecasts."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import timedelta

import pandas as pd
import pytest

from theraloop.memory import DecayPolicy, InvalidInputError
from theraloop.memory.inspect import (
    CHROMA_DIR,
    TRACE_DIR,
    archive_horizon,
    explain_search,
    forecast_archive,
    forecast_table,
    items_table,
    open_memory_dir,
    plot_archive_horizon,
    plot_recall_timeline,
    plot_retention_curves,
    plot_search_explanation,
    recall_timeline,
    retention_curve,
    retention_curves,
)

DAY = timedelta(days=1)


@pytest.fixture
def store(make_ephemeral_store):
    return make_ephemeral_store(policy=DecayPolicy(k=5.0, archive_threshold=0.05))


def test_items_table_shows_which_memory_superseded_which(store, clock):
    old = store.add("ana", "I live in Leeds.", fact_key="residence")
    clock.advance(DAY)
    new = store.add("ana", "I live in Bristol now.", fact_key="residence")
    table = items_table(store, "ana").set_index("id")
    assert table.loc[old.id, "superseded_by"] == new.id
    assert pd.isna(table.loc[new.id, "superseded_by"])


def test_items_table_has_one_row_per_memory_with_retention(store, clock):
    store.add("ana", "sister argument", strength=2.0)
    store.add("ana", "crisis note", kind="crisis")
    clock.advance(7 * DAY)
    table = items_table(store, "ana")
    assert list(table.columns) == [
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
    assert len(table) == 2
    rows = table.set_index("kind")
    assert rows.loc["turn", "retention"] == pytest.approx(math.exp(-0.7))
    assert rows.loc["crisis", "retention"] == 1.0


def test_retention_curve_rebuilds_the_saw_tooth_from_the_trace(store, clock):
    t0 = clock()
    item = store.add("ana", "panic on the train", strength=2.0)
    clock.advance(7 * DAY)
    store.reinforce("ana", [item.id])
    clock.advance(7 * DAY)
    curve = retention_curve(
        store.get("ana", item.id),
        store.trace("ana"),
        t0,
        t0 + 14 * DAY,
        DAY,
        policy=store.policy,
    )
    at = curve.set_index("at")["retention"]
    assert at[t0] == 1.0
    assert at[t0 + 7 * DAY - timedelta(microseconds=1)] == pytest.approx(math.exp(-0.7))
    assert curve.loc[curve["event"] == "reinforce", "retention"].tolist() == [1.0]
    assert at[t0 + 14 * DAY] == pytest.approx(math.exp(-7 / 15))  # S = 3 after the recall
    assert curve["strength"].iloc[0] == 2.0 and curve["strength"].iloc[-1] == 3.0


def test_retention_curve_refuses_a_reversed_range(store, clock):
    item = store.add("ana", "x memory")
    with pytest.raises(ValueError):
        retention_curve(item, [], clock(), clock() - DAY)


def test_recall_timeline_lists_trace_events_in_order(store):
    item = store.add("ana", "sister argument")
    store.search("ana", "sister")
    store.reinforce("ana", [item.id])
    timeline = recall_timeline(store, "ana")
    assert timeline["event"].tolist() == ["add", "recall", "reinforce"]
    assert timeline["text"].tolist() == ["sister argument"] * 3


def test_explain_search_breaks_the_score_down_without_tracing(store):
    store.add("ana", "sister argument")
    store.add("ana", "work stress")
    table = explain_search(store, "ana", "sister")
    assert table["rank"].tolist() == [1, 2]
    recomputed = (table["dense_part"] + table["lexical_part"]) * table["decay_factor"]
    assert recomputed.tolist() == pytest.approx(table["score"].tolist())
    assert [e.kind for e in store.trace("ana")] == ["add", "add"]


def test_forecast_archive_predicts_what_archiving_will_do(store, clock):
    weak = store.add("ana", "passing remark")
    store.add("ana", "strong memory", strength=10.0)
    store.add("ana", "crisis", kind="crisis")
    forecast = forecast_archive(store, "ana", days=20)
    assert [i.id for i in forecast] == [weak.id]
    assert store.items("ana", include_archived=True)[0].archived is False  # nothing written
    clock.advance(20 * DAY)
    assert store.archive_forgotten("ana") == [weak.id]


def test_forecast_archive_refuses_negative_days(store):
    store.add("ana", "x memory")
    with pytest.raises(ValueError):
        forecast_archive(store, "ana", days=-1)


# ---------------------------------------------------------------- data dirs, curves, forecasts
def write_data_dir(root, clock, embedder):
    """Write memories the way the agent lays out its data directory."""
    from theraloop.memory import MemoryStore, open_chroma_client

    store = MemoryStore(
        client=open_chroma_client(path=root / CHROMA_DIR),
        embedder=embedder,
        clock=clock,
        trace_dir=root / TRACE_DIR,
    )
    sister = store.add("ana", "I argued with my sister about our mother's care.")
    store.add("ana", "Work has been quiet this week.")
    clock.advance(7 * DAY)
    store.search("ana", "sister")
    store.reinforce("ana", [sister.id])
    return sister


def test_open_memory_dir_reads_the_items_and_trace_an_agent_wrote(tmp_path, clock, hashing):
    sister = write_data_dir(tmp_path, clock, hashing)
    store = open_memory_dir(tmp_path, embedder=hashing, clock=clock)
    assert store.clients() == ["ana"]
    table = items_table(store, "ana")
    assert len(table) == 2
    assert table.set_index("id").loc[sister.id, "recall_count"] == 1
    assert recall_timeline(store, "ana")["event"].tolist().count("reinforce") == 1
    assert [e.kind for e in store.trace("ana")][-1] == "reinforce"  # reading wrote nothing


def test_open_memory_dir_refuses_a_folder_without_memory(tmp_path):
    with pytest.raises(InvalidInputError, match="no memory"):
        open_memory_dir(tmp_path)
    assert not (tmp_path / CHROMA_DIR).exists()


def test_open_memory_dir_defaults_to_the_agents_minilm_embedder(tmp_path, clock, minilm):
    write_data_dir(tmp_path, clock, minilm)
    store = open_memory_dir(tmp_path, clock=clock)
    assert (store.embedder.name, store.embedder.dimensions) == (minilm.name, minilm.dimensions)
    assert len(items_table(store, "ana")) == 2
    assert explain_search(store, "ana", "my sister")["text"].iloc[0].startswith("I argued")


def test_explain_search_until_leaves_out_memories_written_later(store, clock):
    store.add("ana", "sister argument")
    clock.advance(DAY)
    store.add("ana", "sister visit")
    table = explain_search(store, "ana", "sister", until=clock() - timedelta(seconds=1))
    assert table["text"].tolist() == ["sister argument"]


def test_retention_curves_mark_recalls_and_reinforcements_per_item(store, clock):
    t0 = clock()
    recalled = store.add("ana", "sister argument")
    quiet = store.add("ana", "work stress")
    clock.advance(7 * DAY)
    store.search("ana", "sister", k=1)
    store.reinforce("ana", [recalled.id])
    clock.advance(7 * DAY)
    curves = retention_curves(store, "ana", [recalled.id, quiet.id], step=DAY)
    assert curves["item_id"].unique().tolist() == [recalled.id, quiet.id]
    mine = curves[curves["item_id"] == recalled.id]
    assert mine["event"].dropna().tolist() == ["recall", "reinforce"]
    events = mine.set_index("event")["retention"]
    assert events["recall"] == pytest.approx(math.exp(-7 / 5))  # found before it was used
    assert events["reinforce"] == 1.0
    assert mine["at"].iloc[0] == t0 and mine["at"].iloc[-1] == clock()
    assert curves[curves["item_id"] == quiet.id]["event"].dropna().tolist() == []
    assert mine["retention"].iloc[-1] > curves["retention"][curves["item_id"] == quiet.id].iloc[-1]


def test_retention_curves_start_each_line_at_its_memorys_creation(store, clock):
    early = store.add("ana", "sister argument")
    clock.advance(timedelta(hours=5))
    late = store.add("ana", "work stress")
    clock.advance(2 * DAY)
    curves = retention_curves(store, "ana", [early.id, late.id], step=DAY)
    mine = curves[curves["item_id"] == late.id].dropna(subset=["retention"])
    assert mine["at"].iloc[0] == late.created_at
    assert mine["retention"].iloc[0] == 1.0


def test_retention_curves_refuse_ids_the_client_does_not_have(store):
    store.add("ana", "sister argument")
    with pytest.raises(KeyError):
        retention_curves(store, "ana", ["no-such-id"])


def test_forecast_table_shows_retention_now_and_later_and_what_would_be_archived(store, clock):
    weak = store.add("ana", "passing remark")
    store.add("ana", "strong memory", strength=10.0)
    store.add("ana", "crisis", kind="crisis")
    table = forecast_table(store, "ana", days=20)
    assert table["id"].iloc[0] == weak.id  # weakest first
    assert table.loc[table["archived_then"], "id"].tolist() == [weak.id]
    assert (table["retention_then"] <= table["retention_now"]).all()
    assert store.items("ana")[0].archived is False


def test_archive_horizon_counts_what_each_fast_forward_would_archive(store):
    store.add("ana", "passing remark")
    store.add("ana", "strong memory", strength=10.0)
    horizon = archive_horizon(store, "ana", [0, 20, 1000])
    assert horizon["archived"].tolist() == [0, 1, 2]
    assert (horizon["active"] + horizon["archived"]).tolist() == [2, 2, 2]


def test_plot_helpers_draw_one_mark_per_item_or_hit(store, clock, tmp_path):
    from matplotlib.figure import Figure

    a = store.add("ana", "sister argument")
    b = store.add("ana", "work stress")
    clock.advance(3 * DAY)
    store.search("ana", "sister", k=1)
    store.reinforce("ana", [a.id])
    curves = retention_curves(store, "ana", [a.id, b.id])
    fig = plot_retention_curves(curves, threshold=store.policy.archive_threshold, now=clock())
    assert isinstance(fig, Figure) and len(fig.axes[0].get_lines()) >= 2
    fig = plot_recall_timeline(recall_timeline(store, "ana"))
    assert len(fig.axes[0].get_yticklabels()) == 2
    table = explain_search(store, "ana", "sister")
    fig = plot_search_explanation(table, query="sister")
    assert len(fig.axes[0].patches) == 2 * len(table)  # a dense and a lexical bar per hit
    fig = plot_archive_horizon(archive_horizon(store, "ana", [0, 10, 100]))
    assert isinstance(fig, Figure)
    fig.savefig(tmp_path / "horizon.png")  # renders headless, no pyplot
    assert (tmp_path / "horizon.png").stat().st_size > 0


def test_the_data_dir_layout_is_usable_without_the_notebook_libraries():
    code = (
        "import sys, theraloop.memory.datadir as d; "
        "print(d.CHROMA_DIR, d.TRACE_DIR, "
        "sorted(m for m in ('pandas', 'matplotlib', 'theraloop.memory.inspect') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [CHROMA_DIR, TRACE_DIR, "[]"]
