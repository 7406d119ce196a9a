"""Forgetting on request: what a client asked to forget never comes back."""

from __future__ import annotations

from theraloop.memory import MemoryStore
from theraloop.memory.facts import forget_request

_REQUEST = forget_request("Please forget what I told you about Daniel.")


def _request():  # noqa: ANN202
    assert _REQUEST is not None
    return _REQUEST


def test_forget_deletes_every_memory_holding_the_words(mem_store: MemoryStore) -> None:
    told = mem_store.add("c1", "I had an affair with Daniel last year.")
    kept = mem_store.add("c1", "My cat sleeps on my chest.")
    assert mem_store.forget("c1", _request()) == [told.id]
    assert [i.id for i in mem_store.items("c1", include_archived=True)] == [kept.id]


def test_forget_follows_what_was_derived_from_the_forgotten(mem_store: MemoryStore) -> None:
    told = mem_store.add("c1", "Daniel and I had an affair.")
    answer = mem_store.add("c1", "That sounds like a heavy secret.", source_ids=(told.id,))
    summary = mem_store.add("c1", "Session summary.", source_ids=(answer.id,))
    assert set(mem_store.forget("c1", _request())) == {told.id, answer.id, summary.id}


def test_forgotten_memories_never_come_back_in_search(mem_store: MemoryStore) -> None:
    mem_store.add("c1", "I had an affair with Daniel.")
    mem_store.forget("c1", _request())
    assert mem_store.search("c1", "Daniel affair", k=5) == []


def test_the_trace_keeps_no_word_of_what_was_forgotten(mem_store: MemoryStore) -> None:
    told = mem_store.add("c1", "I had an affair with Daniel.")
    mem_store.add("c1", "I walked the dog.")
    mem_store.search("c1", "what about Daniel?", k=5)
    mem_store.forget("c1", _request())
    trace = mem_store.trace("c1")
    assert "daniel" not in "".join(e.model_dump_json() for e in trace).lower()
    assert ("forget", told.id) in [(e.kind, e.item_id) for e in trace]


def test_later_writes_of_the_session_are_redacted(mem_store: MemoryStore) -> None:
    mem_store.forget("c1", _request(), session_id="s4")
    same = mem_store.add("c1", "Summary: the client asked to forget Daniel.", session_id="s4")
    later = mem_store.add("c1", "Daniel phoned me again.", session_id="s5")
    assert (same.text, later.text) == (
        "Summary: the client asked to forget [forgotten].",
        "Daniel phoned me again.",
    )


def test_forgetting_for_an_unknown_client_deletes_nothing(mem_store: MemoryStore) -> None:
    assert mem_store.forget("nobody", _request()) == []


def test_forgetting_touches_only_that_client(mem_store: MemoryStore) -> None:
    mem_store.add("c1", "Daniel is my ex.")
    other = mem_store.add("c2", "Daniel is my brother.")
    mem_store.forget("c1", _request())
    assert [i.id for i in mem_store.items("c2")] == [other.id]
