"""Notebook helpers: tables, the saw-tooth retention curve, explanations, archive forecasts."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from memory import DecayPolicy
from memory.inspect import (
    explain_search,
    forecast_archive,
    items_table,
    recall_timeline,
    retention_curve,
)

DAY = timedelta(days=1)


@pytest.fixture
def store(make_ephemeral_store):
    return make_ephemeral_store(policy=DecayPolicy(k=5.0, archive_threshold=0.05))


def test_items_table_has_one_row_per_memory_with_retention(store, clock):
    store.add("ana", "sister argument", strength=2.0)
    store.add("ana", "crisis note", kind="crisis")
    clock.advance(7 * DAY)
    table = items_table(store, "ana")
    assert list(table.columns) == [
        "id", "kind", "text", "session_id", "created", "last_recalled", "strength",
        "recall_count", "retention", "pinned", "archived",
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
        store.get("ana", item.id), store.trace("ana"), t0, t0 + 14 * DAY, DAY,
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
