"""MemoryStore conformance suite: every test runs on every Chroma backend.

Backends: in-memory ``EphemeralClient``, on-disk ``PersistentClient`` and a real ``chroma run``
server through ``HttpClient`` (see ``conftest.py``).
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from theraloop.memory import (
    DecayPolicy,
    EmbedderMismatchError,
    HashingEmbedder,
    InvalidInputError,
    NotFoundError,
    RankingPolicy,
    UnknownClientError,
)
from theraloop.memory.store import collection_name

DAY = timedelta(days=1)


# ---------------------------------------------------------------- writing and reading
def test_add_returns_the_stored_item(store, clock):
    item = store.add(
        "ana",
        "I argued with my sister.",
        session_id="s1",
        speaker="client",
        importance=0.8,
        emotion_tags=("anger",),
        source_ids=("t1",),
    )
    assert (item.client_id, item.kind) == ("ana", "turn")
    assert item.text == "I argued with my sister."
    assert item.created_at == item.last_recalled_at == clock()
    assert item.strength == pytest.approx(1.6)  # importance 0.8 -> 1 + 0.6
    assert store.get("ana", item.id) == item


def test_items_are_listed_oldest_first_and_filtered_by_kind(store, clock):
    a = store.add("ana", "first turn")
    clock.advance(DAY)
    b = store.add("ana", "a summary", kind="session_summary")
    assert [i.id for i in store.items("ana")] == [a.id, b.id]
    assert [i.id for i in store.items("ana", kinds=["session_summary"])] == [b.id]


def test_add_many_writes_a_batch(store):
    items = store.add_many("ana", [{"text": f"memory {i}"} for i in range(7)])
    assert len({i.id for i in items}) == 7
    assert len(store.items("ana")) == 7


def test_created_at_can_be_set_to_import_old_records(store, clock):
    old = clock() - 30 * DAY
    item = store.add("ana", "an old note", created_at=old)
    assert item.created_at == item.last_recalled_at == old


def test_rewriting_an_item_id_updates_without_duplicating(store, clock):
    first = store.add("ana", "draft text", item_id="s1:0001:client")
    store.reinforce("ana", [first.id])
    clock.advance(DAY)
    again = store.add("ana", "draft text", item_id="s1:0001:client")
    assert again == store.get("ana", first.id)
    assert again.recall_count == 1  # the replay kept the forgetting state
    changed = store.add("ana", "final text", item_id="s1:0001:client")
    assert changed.version == 2 and changed.created_at == first.created_at
    assert len(store.items("ana")) == 1


def test_crisis_memories_are_pinned(store):
    assert store.add("ana", "Crisis: plan to overdose", kind="crisis").pinned


# ---------------------------------------------------------------- search
def test_search_returns_every_score_component(store):
    store.add("ana", "I argued with my sister about money.")
    store.add("ana", "Work was calm this week.")
    hits = store.search("ana", "argument with my sister", k=2)
    assert [h.rank for h in hits] == [1, 2]
    top = hits[0]
    assert top.item.text.startswith("I argued")
    assert -1 <= top.similarity <= 1 and 0 <= top.lexical <= 1 and top.retention == 1.0
    assert top.lexical == 1.0  # normalised by the best candidate
    w = RankingPolicy()  # the store's default weights
    expected = (w.dense_weight * max(top.similarity, 0) + w.lexical_weight * top.lexical) * (
        1 - w.retention_weight + w.retention_weight * top.retention
    )
    assert top.score == pytest.approx(expected)


def test_search_returns_at_most_k_hits(store):
    store.add_many("ana", [{"text": f"note number {i}"} for i in range(10)])
    assert len(store.search("ana", "note", k=3)) == 3


def test_search_on_a_client_without_memories_returns_nothing(store):
    assert store.search("nobody", "anything") == []
    assert store.items("nobody") == []


def test_search_filters_by_kind_session_and_time(store, clock):
    t0 = clock()
    a = store.add("ana", "sleep was bad", session_id="s1")
    clock.advance(7 * DAY)
    b = store.add("ana", "sleep summary", kind="session_summary", session_id="s2")
    c = store.add("ana", "sleep got better", session_id="s2")

    def ids(**kw):
        return {h.item.id for h in store.search("ana", "sleep", k=10, **kw)}

    assert ids() == {a.id, b.id, c.id}
    assert ids(kinds="session_summary") == {b.id}
    assert ids(kinds=("turn",)) == {a.id, c.id}
    assert ids(session_id="s1") == {a.id}
    assert ids(since=t0 + DAY) == {b.id, c.id}
    assert ids(until=t0 + DAY) == {a.id}
    assert ids(session_id="s9") == set()


def test_search_does_not_reinforce(store, clock):
    item = store.add("ana", "my dog died in spring")
    store.search("ana", "dog", k=1)
    assert store.get("ana", item.id).strength == item.strength
    assert store.get("ana", item.id).last_recalled_at == item.last_recalled_at


def test_ranking_lowers_forgotten_items(store, clock):
    old = store.add("ana", "I love hiking in the mountains")
    clock.advance(20 * DAY)
    fresh = store.add("ana", "I love hiking in the mountains")
    hits = store.search("ana", "hiking mountains", k=2)
    assert [h.item.id for h in hits] == [fresh.id, old.id]
    assert hits[0].similarity == pytest.approx(hits[1].similarity)
    assert hits[1].retention < hits[0].retention and hits[1].score < hits[0].score


def test_reinforcing_restores_the_rank_of_an_old_memory(store, clock):
    old = store.add("ana", "I love hiking in the mountains")
    clock.advance(20 * DAY)
    fresh = store.add("ana", "I love hiking in the mountains")
    clock.advance(DAY)
    store.reinforce("ana", [old.id])
    assert [h.item.id for h in store.search("ana", "hiking", k=2)] == [old.id, fresh.id]


# ---------------------------------------------------------------- decay and reinforcement
def test_retention_follows_the_closed_form(make_store, clock):
    store = make_store(policy=DecayPolicy(k=5.0))
    store.add("ana", "panic attack on the train", strength=2.0)
    clock.advance(7 * DAY)
    hit = store.search("ana", "panic train", k=1)[0]
    assert hit.retention == pytest.approx(math.exp(-0.7))


def test_reinforce_resets_elapsed_time_and_raises_strength(make_store, clock):
    store = make_store(policy=DecayPolicy(k=5.0, recall_increment=1.0))
    item = store.add("ana", "panic attack on the train", strength=2.0)
    clock.advance(7 * DAY)
    (after,) = store.reinforce("ana", [item.id], query="turn 3")
    assert after.strength == 3.0 and after.recall_count == 1
    assert after.last_recalled_at == clock()
    assert store.search("ana", "panic", k=1)[0].retention == 1.0
    clock.advance(7 * DAY)
    assert store.search("ana", "panic", k=1)[0].retention == pytest.approx(math.exp(-7 / 15))
    event = [e for e in store.trace("ana") if e.kind == "reinforce"][0]
    assert event.retention_before == pytest.approx(math.exp(-0.7))
    assert event.retention_after == 1.0
    assert (event.strength_before, event.strength_after, event.query) == (2.0, 3.0, "turn 3")


def test_reinforce_only_touches_the_confirmed_items(store):
    a = store.add("ana", "sister argument")
    b = store.add("ana", "sister visit")
    store.search("ana", "sister", k=2)
    store.reinforce("ana", [a.id, a.id])
    assert store.get("ana", a.id).recall_count == 1
    assert store.get("ana", b.id).recall_count == 0


def test_reinforce_refuses_unknown_ids_and_changes_nothing(store):
    a = store.add("ana", "sister argument")
    with pytest.raises(NotFoundError, match="nope"):
        store.reinforce("ana", [a.id, "nope"])
    assert store.get("ana", a.id).recall_count == 0


def test_reinforce_on_an_unknown_client_raises(store):
    with pytest.raises(UnknownClientError):
        store.reinforce("nobody", ["x"])


# ---------------------------------------------------------------- forgetting
def test_archive_moves_forgotten_items_out_of_search_but_keeps_them(store, clock):
    old = store.add("ana", "a passing remark about lunch")
    pinned = store.add("ana", "lunch with my father, who died", pinned=True)
    clock.advance(60 * DAY)
    fresh = store.add("ana", "lunch at work today")
    assert store.archive_forgotten("ana") == [old.id]
    assert {h.item.id for h in store.search("ana", "lunch", k=10)} == {pinned.id, fresh.id}
    kept = store.get("ana", old.id)
    assert kept.archived and kept.archived_at == clock() and kept.text == old.text
    assert [i.id for i in store.items("ana", include_archived=True) if i.archived] == [old.id]
    assert store.archive_forgotten("ana") == []  # nothing new


def test_pinned_items_are_never_archived(store, clock):
    store.add("ana", "crisis on day one", kind="crisis")
    store.add("ana", "an explicitly pinned note", pinned=True)
    clock.advance(10_000 * DAY)
    assert store.archive_forgotten("ana") == []


def test_restore_brings_an_archived_item_back(store, clock):
    item = store.add("ana", "a passing remark")
    clock.advance(60 * DAY)
    store.archive_forgotten("ana")
    with pytest.raises(InvalidInputError, match="restore"):
        store.reinforce("ana", [item.id])
    (back,) = store.restore("ana", [item.id])
    assert not back.archived and back.last_recalled_at == clock()
    assert store.search("ana", "remark", k=1)[0].item.id == item.id


def test_purge_deletes_only_archived_items(store, clock):
    store.add("ana", "old remark one")
    store.add("ana", "old remark two")
    clock.advance(60 * DAY)
    keep = store.add("ana", "new remark")
    assert store.purge_archived("ana") == 0  # nothing archived yet: purging is explicit
    store.archive_forgotten("ana")
    assert store.purge_archived("ana") == 2
    assert [i.id for i in store.items("ana", include_archived=True)] == [keep.id]
    assert [e.kind for e in store.trace("ana")].count("purge") == 2


# ---------------------------------------------------------------- hierarchy
def test_rewriting_an_item_id_keeps_it_in_place_with_a_version(store, clock):
    first = store.add("ana", "Ana, 34, teacher.", item_id="note", session_id="s1")
    clock.advance(DAY)
    second = store.add("ana", "Ana, 34, teacher, two kids.", item_id="note")
    assert second.id == first.id and second.version == 2
    assert second.created_at == first.created_at and second.updated_at == clock()
    assert store.items("ana") == [second]
    update = [e for e in store.trace("ana") if e.kind == "update"][0]
    assert "Ana, 34, teacher." in (update.detail or "")


@pytest.mark.parametrize("kind", ["portrait", "plan"])
def test_add_refuses_the_portrait_and_plan_kinds_the_agent_records_keep(store, kind):
    with pytest.raises(InvalidInputError, match="agent's records"):
        store.add("ana", "Ana, 34", kind=kind)


# ---------------------------------------------------------------- trace, export, erase
def test_trace_records_adds_recalls_and_reinforcements(store):
    item = store.add("ana", "sister argument")
    store.search("ana", "sister", k=1)
    store.reinforce("ana", [item.id])
    events = store.trace("ana")
    assert [e.kind for e in events] == ["add", "recall", "reinforce"]
    assert events[1].query == "sister" and events[1].score is not None
    assert all(e.client_id == "ana" and e.item_id == item.id for e in events)


def test_search_with_record_false_leaves_no_trace(store):
    store.add("ana", "sister argument")
    store.search("ana", "sister", record=False)
    assert [e.kind for e in store.trace("ana")] == ["add"]


def test_trace_is_a_jsonl_file_per_client(store, tmp_path):
    store.add("ana", "x memory")
    store.add("ben", "y memory")
    files = sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert files == sorted(f"{collection_name(c)}.jsonl" for c in ("ana", "ben"))
    line = (tmp_path / "traces" / f"{collection_name('ana')}.jsonl").read_text().splitlines()[0]
    assert json.loads(line)["client_id"] == "ana"


def test_export_is_json_and_holds_everything(store, clock):
    a = store.add("ana", "a remark")
    b = store.add("ana", "a crisis", kind="crisis")
    clock.advance(60 * DAY)
    store.archive_forgotten("ana")
    data = json.loads(json.dumps(store.export_client("ana")))
    assert data["client_id"] == "ana"
    assert {i["id"] for i in data["items"]} == {a.id, b.id}
    assert [i["archived"] for i in data["items"] if i["id"] == a.id] == [True]
    assert [e["kind"] for e in data["trace"]] == ["add", "add", "archive"]


def test_erase_leaves_nothing_behind(store, backend, tmp_path):
    store.add_many("ana", [{"text": f"ana secret {i}"} for i in range(5)])
    store.add("ben", "ben note")
    store.search("ana", "secret")
    report = store.erase_client("ana")
    assert report.existed and report.items_deleted == 5 and report.collections_deleted == 1
    assert report.trace_events_deleted == 10 and report.trace_files_deleted == 1
    # scan the database through a fresh handle, and the trace folder
    client = backend.open()
    for col in client.list_collections():
        assert (col.metadata or {}).get("client_id") != "ana"
        assert "ana" not in col.name
        got = client.get_collection(col.name).get(include=["documents", "metadatas"])
        assert not any("ana" in (d or "") for d in got["documents"])
    assert not any("ana" in p.name for p in (tmp_path / "traces").iterdir())
    assert not store.has_client("ana") and store.clients() == ["ben"]
    assert store.search("ana", "secret") == []
    with pytest.raises(UnknownClientError):
        store.trace("ana")
    assert store.search("ben", "note")[0].item.text == "ben note"


def test_erasing_twice_or_an_unknown_client_is_safe(store):
    store.add("ana", "x memory")
    store.erase_client("ana")
    again = store.erase_client("ana")
    assert not again.existed and again.items_deleted == 0
    assert not store.erase_client("never-seen").existed


def test_unknown_clients_raise_on_item_level_reads(store):
    with pytest.raises(UnknownClientError):
        store.get("nobody", "x")
    with pytest.raises(UnknownClientError):
        store.export_client("nobody")
    with pytest.raises(UnknownClientError):
        store.archive_forgotten("nobody")
    with pytest.raises(UnknownClientError):
        store.purge_archived("nobody")


def test_get_of_another_clients_item_id_is_not_found(store):
    a = store.add("ana", "ana secret")
    store.add("ben", "ben note")
    with pytest.raises(NotFoundError):
        store.get("ben", a.id)


# ---------------------------------------------------------------- clients, embedder, reopen
def test_clients_lists_every_client_once(store):
    for cid in ("c.1", "c-2", "c_3"):
        store.add(cid, "hello there")
    assert store.clients() == ["c-2", "c.1", "c_3"]
    assert store.has_client("c.1") and not store.has_client("c4")


def test_similar_client_ids_get_distinct_collections(store):
    store.add("a.b", "dot client")
    store.add("a-b", "dash client")
    assert [h.item.text for h in store.search("a.b", "client", k=5)] == ["dot client"]
    assert [h.item.text for h in store.search("a-b", "client", k=5)] == ["dash client"]


def test_a_store_with_another_embedder_is_refused(make_store):
    make_store(embedder=HashingEmbedder(dim=64)).add("ana", "x memory")
    other = make_store(embedder=HashingEmbedder(dim=32))
    with pytest.raises(EmbedderMismatchError, match="theraloop-hashing-v1-64"):
        other.search("ana", "x")
    with pytest.raises(EmbedderMismatchError):
        other.add("ana", "y memory")
    other.add("ben", "a new client is fine")  # only the mismatched client is refused


def test_memories_survive_reopening_the_store(make_store, clock):
    first = make_store()
    item = first.add("ana", "I moved to Lisbon last year.")
    first.reinforce("ana", [item.id])
    first.add("ana", "ACT, fortnightly")
    reopened = make_store()
    assert reopened.get("ana", item.id) == first.get("ana", item.id)
    assert reopened.search("ana", "Lisbon", k=1)[0].item.id == item.id
    assert [e.kind for e in reopened.trace("ana")][:3] == ["add", "reinforce", "add"]


def test_a_second_store_sees_the_first_stores_writes(make_store):
    a, b = make_store(), make_store()
    a.add("ana", "first memory")
    assert len(b.items("ana")) == 1  # b builds its snapshot now
    a.add("ana", "second memory")
    assert len(b.items("ana")) == 2  # the revision changed: b reloads
    b.erase_client("ana")
    assert a.items("ana") == []
