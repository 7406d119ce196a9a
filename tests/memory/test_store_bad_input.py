"""Bad input at every public entry point: a typed error, and the store exactly as before."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from theraloop.memory import (
    MAX_TEXT_CHARS,
    EmbedderMismatchError,
    InvalidInputError,
    MemoryStore,
    StoreError,
    open_chroma_client,
)

NAIVE = datetime(2026, 1, 5, 9, 0)  # noqa: DTZ001 - naive on purpose

BAD_TEXTS = [
    pytest.param("", id="empty"),
    pytest.param("   \n\t ", id="whitespace"),
    pytest.param("x" * (MAX_TEXT_CHARS + 1), id="over-limit"),
    pytest.param("a" * 1_000_000, id="one-megabyte"),
    pytest.param("bad \ud800 surrogate", id="lone-surrogate"),
    pytest.param("nul \x00 byte", id="nul"),
    pytest.param("escape \x1b[31m", id="terminal-escape"),
    pytest.param("c1 \x85 control", id="c1-control"),
    pytest.param(b"bytes", id="bytes"),
    pytest.param(None, id="none"),
    pytest.param(42, id="int"),
]


@pytest.fixture
def seeded(mem_store):
    """A store with one client, and a function that proves it did not change."""
    item = mem_store.add("ana", "I argued with my sister.")
    before = (mem_store.export_client("ana")["items"], len(mem_store.trace("ana")))

    def unchanged() -> bool:
        after = (mem_store.export_client("ana")["items"], len(mem_store.trace("ana")))
        return after == before and mem_store.clients() == ["ana"]

    return mem_store, item, unchanged


def test_text_at_the_limit_is_accepted(mem_store):
    assert len(mem_store.add("ana", "y" * MAX_TEXT_CHARS).text) == MAX_TEXT_CHARS


def test_tabs_and_newlines_are_allowed(mem_store):
    assert mem_store.add("ana", "line one\n\tline two\r\n").text == "line one\n\tline two\r\n"


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_bad_memory_text_is_refused_and_nothing_changes(seeded, text):
    store, _, unchanged = seeded
    with pytest.raises(InvalidInputError):
        store.add("ana", text)
    assert unchanged()


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_bad_query_is_refused(seeded, text):
    store, _, unchanged = seeded
    with pytest.raises(InvalidInputError):
        store.search("ana", text)
    assert unchanged()


@pytest.mark.parametrize(
    "client_id",
    ["", " ana", "ana ", "a/b", "../etc", ".hidden", "-x", "a" * 65, "ané", "a\nb", None, 7],
)
def test_invalid_client_ids_are_refused_everywhere(seeded, client_id):
    store, item, unchanged = seeded
    calls = [
        lambda: store.add(client_id, "text"),
        lambda: store.search(client_id, "text"),
        lambda: store.get(client_id, item.id),
        lambda: store.items(client_id),
        lambda: store.reinforce(client_id, [item.id]),
        lambda: store.archive_forgotten(client_id),
        lambda: store.purge_archived(client_id),
        lambda: store.erase_client(client_id),
        lambda: store.trace(client_id),
        lambda: store.export_client(client_id),
        lambda: store.has_client(client_id),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError, match="client_id"):
            call()
    assert unchanged()


def test_a_64_character_client_id_is_accepted(mem_store):
    cid = "a" * 64
    mem_store.add(cid, "long id")
    assert mem_store.clients() == [cid]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"created_at": NAIVE}, id="naive-created_at"),
        pytest.param({"strength": math.nan}, id="nan-strength"),
        pytest.param({"strength": math.inf}, id="inf-strength"),
        pytest.param({"strength": 0.0}, id="zero-strength"),
        pytest.param({"strength": -1.0}, id="negative-strength"),
        pytest.param({"strength": 1e9}, id="strength-over-max"),
        pytest.param({"importance": math.nan}, id="nan-importance"),
        pytest.param({"importance": 1.5}, id="importance-over-1"),
        pytest.param({"kind": "diary"}, id="unknown-kind"),
        pytest.param({"session_id": ""}, id="empty-session"),
        pytest.param({"speaker": "a\nb"}, id="multiline-speaker"),
        pytest.param({"emotion_tags": "sad"}, id="tags-as-string"),
        pytest.param({"emotion_tags": ("",)}, id="empty-tag"),
        pytest.param({"source_ids": ["x"] * 65}, id="too-many-sources"),
        pytest.param({"context": "   "}, id="blank-context"),
        pytest.param({"kind": "plan"}, id="plan-kind"),
        pytest.param({"item_id": " padded "}, id="padded-item-id"),
    ],
)
def test_bad_fields_are_refused_and_nothing_changes(seeded, kwargs):
    store, _, unchanged = seeded
    with pytest.raises(InvalidInputError):
        store.add("ana", "a valid text", **kwargs)
    assert unchanged()


def test_one_bad_record_rejects_the_whole_batch(seeded):
    store, _, unchanged = seeded
    with pytest.raises(InvalidInputError, match=r"records\[2\]"):
        store.add_many("ana", [{"text": "ok 1"}, {"text": "ok 2"}, {"text": ""}])
    with pytest.raises(InvalidInputError, match="unknown|extra"):
        store.add_many("ana", [{"text": "ok", "colour": "red"}])
    with pytest.raises(InvalidInputError, match="repeat"):
        store.add_many("ana", [{"text": "a", "item_id": "x"}, {"text": "b", "item_id": "x"}])
    assert unchanged()


def test_a_bad_batch_for_a_new_client_creates_no_client(mem_store):
    with pytest.raises(InvalidInputError):
        mem_store.add_many("newbie", [{"text": "fine"}, {"text": "\x00"}])
    assert not mem_store.has_client("newbie")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"now": NAIVE}, id="naive-now"),
        pytest.param({"since": NAIVE}, id="naive-since"),
        pytest.param({"until": NAIVE}, id="naive-until"),
        pytest.param({"k": 0}, id="k-zero"),
        pytest.param({"k": 1001}, id="k-huge"),
        pytest.param({"k": 2.0}, id="k-float"),
        pytest.param({"k": True}, id="k-bool"),
        pytest.param({"kinds": ["turn", "diary"]}, id="unknown-kind"),
        pytest.param({"kinds": []}, id="empty-kinds"),
    ],
)
def test_bad_search_arguments_are_refused(seeded, kwargs):
    store, _, unchanged = seeded
    with pytest.raises(InvalidInputError):
        store.search("ana", "sister", **kwargs)
    assert unchanged()


def test_since_after_until_is_refused(seeded, clock):
    store, _, _ = seeded
    with pytest.raises(InvalidInputError, match="swap"):
        store.search("ana", "x", since=clock(), until=clock() - timedelta(days=1))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s, i: s.reinforce("ana", i.id), id="bare-string-ids"),
        pytest.param(lambda s, i: s.reinforce("ana", [i.id], now=NAIVE), id="naive-now"),
        pytest.param(lambda s, i: s.reinforce("ana", [None]), id="none-id"),
        pytest.param(lambda s, i: s.reinforce("ana", [i.id], query=""), id="empty-query"),
        pytest.param(lambda s, i: s.archive_forgotten("ana", now=NAIVE), id="archive-naive"),
        pytest.param(lambda s, i: s.get("ana", ""), id="empty-item-id"),
        pytest.param(lambda s, i: s.add_many("ana", "text"), id="records-as-string"),
        pytest.param(lambda s, i: s.add_many("ana", {"text": "x"}), id="records-as-dict"),
    ],
)
def test_bad_arguments_to_other_calls_are_refused(seeded, call):
    store, item, unchanged = seeded
    with pytest.raises(InvalidInputError):
        call(store, item)
    assert unchanged()


class _BrokenEmbedder:
    name = "broken"
    dimensions = 8

    def __init__(self, vectors):
        self._vectors = vectors

    def embed_documents(self, texts):
        return self._vectors(texts)

    def embed_query(self, text):
        return self._vectors([text])[0]


@pytest.mark.parametrize(
    "vectors",
    [
        pytest.param(lambda texts: [[0.1] * 7 for _ in texts], id="wrong-size"),
        pytest.param(lambda texts: [[math.nan] * 8 for _ in texts], id="nan"),
        pytest.param(lambda texts: [[0.1] * 8], id="wrong-count"),
    ],
)
def test_a_broken_embedder_writes_nothing(make_ephemeral_store, vectors):
    store = make_ephemeral_store(embedder=_BrokenEmbedder(vectors))
    with pytest.raises(EmbedderMismatchError):
        store.add_many("ana", [{"text": "one"}, {"text": "two"}])
    assert not store.has_client("ana")


def test_an_embedder_that_raises_writes_nothing(make_ephemeral_store):
    def explode(texts):
        raise RuntimeError("model crashed")

    store = make_ephemeral_store(embedder=_BrokenEmbedder(explode))
    with pytest.raises(RuntimeError):
        store.add("ana", "one")
    assert not store.has_client("ana")


class _FailingCollection:
    """Wraps a real collection; its upsert/update fail (a disk-full Chroma, say)."""

    def __init__(self, col):
        self._col = col

    def __getattr__(self, name):
        if name in ("upsert", "update"):

            def fail(*args, **kwargs):
                raise OSError("disk full")

            return fail
        return getattr(self._col, name)


class _FailingClient:
    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_collection(self, *args, **kwargs):
        return _FailingCollection(self._client.get_collection(*args, **kwargs))

    def create_collection(self, *args, **kwargs):
        return _FailingCollection(self._client.create_collection(*args, **kwargs))


def test_a_chroma_failure_is_a_store_error_and_leaves_the_store_as_it_was(
    ephemeral, hashing, clock
):
    good = MemoryStore(client=ephemeral.open(), embedder=hashing, clock=clock)
    item = good.add("ana", "kept memory")
    failing = MemoryStore(client=_FailingClient(ephemeral.open()), embedder=hashing, clock=clock)
    with pytest.raises(StoreError, match="disk full"):
        failing.add("ana", "lost memory")
    with pytest.raises(StoreError, match="disk full"):
        failing.reinforce("ana", [item.id])
    with pytest.raises(StoreError, match="disk full"):
        failing.add("newbie", "first memory")
    assert [i.text for i in good.items("ana")] == ["kept memory"]
    assert good.get("ana", item.id).recall_count == 0
    assert not good.has_client("newbie")  # the half-created collection was dropped


def test_open_chroma_client_refuses_path_and_url_together(tmp_path):
    with pytest.raises(InvalidInputError, match="either"):
        open_chroma_client(path=tmp_path, url="http://127.0.0.1:1")


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host:1", "http://", 42])
def test_open_chroma_client_refuses_malformed_urls(url):
    with pytest.raises(InvalidInputError, match="url"):
        open_chroma_client(url=url)


def test_open_chroma_client_reports_a_dead_server():
    from tests.services import free_port

    with pytest.raises(StoreError, match="chroma run"):
        open_chroma_client(url=f"http://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("namespace", ["", "TL", "1tl", "t_l", "x" * 17, None])
def test_store_refuses_bad_namespaces(ephemeral, hashing, namespace):
    with pytest.raises(InvalidInputError, match="namespace"):
        MemoryStore(client=ephemeral.open(), embedder=hashing, namespace=namespace)
