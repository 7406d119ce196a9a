"""Temporal validity: a newer fact supersedes the older one, which stays as history."""

from __future__ import annotations

from datetime import timedelta

from theraloop.memory import ManualClock, MemoryStore


def test_a_newer_memory_with_the_same_key_supersedes_the_older(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    old = mem_store.add("c1", "I live in a small flat in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=30))
    new = mem_store.add("c1", "I've moved to Bristol.", fact_key="residence")
    kept = mem_store.get("c1", old.id)
    assert (kept.superseded_by, kept.superseded_at, new.superseded_by) == (
        new.id,
        new.created_at,
        None,
    )


def test_search_leaves_superseded_memories_out(mem_store: MemoryStore, clock: ManualClock) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=1))
    mem_store.add("c1", "I live in Bristol now.", fact_key="residence")
    texts = [h.item.text for h in mem_store.search("c1", "where do I live, Leeds?", k=5)]
    assert texts == ["I live in Bristol now."]


def test_history_search_includes_superseded_memories(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=1))
    mem_store.add("c1", "I live in Bristol now.", fact_key="residence")
    hits = mem_store.search("c1", "where do I live", k=5, include_superseded=True)
    assert {h.item.text: h.item.superseded_by is not None for h in hits} == {
        "I live in Leeds.": True,
        "I live in Bristol now.": False,
    }


def test_different_keys_do_not_supersede_each_other(mem_store: MemoryStore) -> None:
    mem_store.add("c1", "My sister is called Priya.", fact_key="name:sister")
    mem_store.add("c1", "My brother is called Omar.", fact_key="name:brother")
    assert all(i.superseded_by is None for i in mem_store.items("c1"))


def test_memories_without_a_key_never_supersede(mem_store: MemoryStore) -> None:
    mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    mem_store.add("c1", "I live in Bristol now.")
    assert all(i.superseded_by is None for i in mem_store.items("c1"))


def test_a_back_dated_write_arrives_superseded(mem_store: MemoryStore, clock: ManualClock) -> None:
    then = clock()
    clock.advance(timedelta(days=10))
    current = mem_store.add("c1", "I work at the library.", fact_key="job")
    old = mem_store.add("c1", "I worked at a cafe.", fact_key="job", created_at=then)
    assert (old.superseded_by, mem_store.get("c1", current.id).superseded_by) == (current.id, None)


def test_within_one_batch_the_later_record_wins(mem_store: MemoryStore) -> None:
    first, second = mem_store.add_many(
        "c1",
        [
            {"text": "I take sertraline.", "fact_key": "medication"},
            {"text": "I switched to mirtazapine.", "fact_key": "medication"},
        ],
    )
    assert (first.superseded_by, second.superseded_by) == (second.id, None)


def test_a_chain_of_changes_leaves_one_current_fact(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    for dose in ("no medication", "fluoxetine 20 mg", "fluoxetine 40 mg"):
        mem_store.add("c1", f"I am on {dose}.", fact_key="medication")
        clock.advance(timedelta(days=30))
    current = [i.text for i in mem_store.items("c1") if i.superseded_by is None]
    assert current == ["I am on fluoxetine 40 mg."]


def test_supersession_is_recorded_in_the_trace(mem_store: MemoryStore, clock: ManualClock) -> None:
    old = mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=1))
    new = mem_store.add("c1", "I live in Bristol now.", fact_key="residence")
    events = [(e.kind, e.item_id, e.detail) for e in mem_store.trace("c1")]
    assert ("supersede", old.id, new.id) in events


def test_supersession_survives_a_reload(make_store, clock: ManualClock) -> None:  # noqa: ANN001
    writer = make_store()
    old = writer.add("c1", "I live in Leeds.", fact_key="residence")
    clock.advance(timedelta(days=1))
    writer.add("c1", "I live in Bristol now.", fact_key="residence")
    reader = make_store()
    assert reader.get("c1", old.id).superseded_by is not None


def test_a_current_fact_is_never_archived_however_old(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    fact = mem_store.add("c1", "My sister is called Priya.", fact_key="name:sister")
    episode = mem_store.add("c1", "It rained on the way here.")
    clock.advance(timedelta(days=365))
    assert mem_store.archive_forgotten("c1") == [episode.id]
    assert mem_store.get("c1", fact.id).archived is False


def test_a_superseded_fact_archives_like_any_memory(
    mem_store: MemoryStore, clock: ManualClock
) -> None:
    old = mem_store.add("c1", "I live in Leeds.", fact_key="residence")
    mem_store.add("c1", "I live in Bristol now.", fact_key="residence", created_at=clock())
    clock.advance(timedelta(days=365))
    assert old.id in mem_store.archive_forgotten("c1")


def test_search_can_leave_out_the_session_in_progress(mem_store: MemoryStore) -> None:
    mem_store.add("c1", "I slept badly.", session_id="s1")
    mem_store.add("c1", "I slept badly again.", session_id="s2")
    hits = mem_store.search("c1", "sleep", k=5, exclude_session_id="s2")
    assert [h.item.session_id for h in hits] == ["s1"]


def test_distinct_search_returns_one_hit_per_text(mem_store: MemoryStore) -> None:
    for session in ("s1", "s2", "s3"):
        mem_store.add("c1", "Tell me more about that.", session_id=session)
    mem_store.add("c1", "Tell me about your sister.", session_id="s1")
    hits = mem_store.search("c1", "tell me more", k=2, distinct=True)
    assert [h.item.text for h in hits] == ["Tell me more about that.", "Tell me about your sister."]
