"""``erase_client`` leaves nothing behind in any store; ``export_client`` hands a person their data.

After erasing, every store is scanned directly, below the API: every Chroma collection, every row
of every table of the checkpoint, records and Chroma SQLite databases, every file of the memory
trace directory. The client id and words only that client said must appear nowhere; the other
client must be untouched.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import _support as s
import pytest

GONE = "ailsa-q7"
KEPT = "bram-x3"
GONE_WORDS = ("Quillfeather", "Thistlewood")
KEPT_WORDS = ("Marrowby",)
GONE_TEXTS = (
    f"My cat Quillfeather is the only one who understands me, {s.TURNS[0]}",
    "I drove past Thistlewood bridge again and felt hopeless.",
)
KEPT_TEXTS = ("My brother Marrowby keeps borrowing money and I can't say no.",)


def _rows_with(db: Path, needles: tuple[str, ...]) -> list[str]:
    """Return ``table: row`` for every row of every table of ``db`` that contains a needle."""
    found = []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            try:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.OperationalError:  # a virtual table whose module is not loaded here;
                continue  # its shadow tables (plain tables) hold the same content and are scanned
            for row in rows:
                text = " ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row
                )
                if any(n in text for n in needles):
                    found.append(f"{db.name}:{table}: {text[:200]!r}")
    finally:
        conn.close()
    return found


def _files_with(root: Path, needles: tuple[str, ...]) -> list[str]:
    out = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out += [f"{path}: {n}" for n in needles if n.encode() in data]
    return out


@pytest.fixture
def populated(make_agent, clock):
    agent = make_agent()
    for client, texts in ((GONE, GONE_TEXTS), (KEPT, KEPT_TEXTS)):
        agent.start_session(client)
        for text in texts:
            agent.respond(client, text)
        agent.end_session(client)
    clock.advance(timedelta(days=7))
    agent.start_session(GONE)  # an open session with a checkpointed turn as well
    agent.respond(GONE, "Quillfeather slept on my chest all night.")
    agent.respond(GONE, s.CRISIS_TEXT)  # a crisis: pinned memory and a crisis record
    return agent


def test_export_gives_the_client_all_their_data_as_json(populated):
    exported = populated.export_client(GONE)
    text = json.dumps(exported)
    assert json.loads(text) == exported
    said = [t["client_text"] for turns in exported["conversations"].values() for t in turns]
    assert said[:2] == list(GONE_TEXTS) and len(said) == 4
    assert {"sessions", "plans", "reviews", "signals", "traces", "crises", "portrait"} <= set(
        exported["records"]
    )
    assert exported["memory"] and "Quillfeather" in json.dumps(exported["memory"])
    assert not any(w in text for w in KEPT_WORDS) and KEPT not in text


def test_erase_leaves_no_trace_of_the_client_in_any_store(populated, tmp_path):
    agent = populated
    data = tmp_path / "data"
    kept_before = agent.export_client(KEPT)
    counts = agent.erase_client(GONE)
    assert counts["records"] > 0 and counts["checkpoint_threads"] == 4
    assert counts["memory_items"] >= 8 and counts["memory_trace_events"] > 0

    # API level
    needles = (GONE, *GONE_WORDS)
    assert not agent.memory.has_client(GONE) and GONE not in agent.memory.clients()
    assert GONE not in agent.records.clients() and agent.traces(GONE) == []
    for thread in ("ailsa-q7-s001", "ailsa-q7-s002", "ailsa-q7-s001:review"):
        assert agent.session_graph.get_state({"configurable": {"thread_id": thread}}).values == {}

    # Chroma, through its own client: collections, ids, documents, metadata
    from memory import open_chroma_client

    chroma = open_chroma_client(path=data / "chroma")
    for col in chroma.list_collections():
        col = chroma.get_collection(col.name) if isinstance(col, str) else col
        blob = json.dumps(
            {"name": col.name, "meta": col.metadata, **col.get(include=["documents", "metadatas"])},
            default=str,
        )
        assert not any(n in blob for n in needles), f"collection {col.name} still holds the client"

    # every row of every SQLite table, and every memory-trace file
    dbs = [data / "checkpoints.sqlite", data / "records.sqlite", *sorted(data.rglob("*.sqlite3"))]
    leftovers = [hit for db in dbs for hit in _rows_with(db, needles)]
    leftovers += _files_with(data / "memory-trace", needles)
    assert not leftovers, "erased client still stored:\n" + "\n".join(leftovers)

    # the other client is untouched
    assert agent.export_client(KEPT) == kept_before
    assert any(KEPT_WORDS[0] in t for t in json.dumps(kept_before["memory"]).split("\\n"))


def test_erased_words_do_not_linger_in_the_sqlite_files(populated, tmp_path):
    """What the client said must not survive in free pages or WALs of any SQLite file we use.

    (The bare client id can survive as a divider key inside a SQLite index page until the next
    ``VACUUM``; docs/running_at_scale.md says to use pseudonymous client ids for that reason.)
    """
    populated.erase_client(GONE)
    data = tmp_path / "data"
    files = [p for p in data.rglob("*") if p.is_file() and "sqlite" in p.name]  # Chroma's too
    leftovers = [
        f"{p.name}: {w}" for p in files for w in GONE_WORDS if w.encode() in p.read_bytes()
    ]
    assert not leftovers, "erased words still on disk: " + ", ".join(leftovers)


def test_an_erased_client_starts_over_with_nothing_recalled(populated, clock):
    populated.erase_client(GONE)
    clock.advance(timedelta(days=1))
    info = populated.start_session(GONE)
    assert (info.session_number, info.resumed, info.plan.version) == (1, False, 1)
    reply = populated.respond(GONE, "Quillfeather is my cat, do you remember?")
    assert reply.recalled == ()


def test_erasing_an_unknown_or_already_erased_client_is_a_safe_no_op(populated):
    assert populated.erase_client("never-seen") == {"checkpoint_threads": 0, "records": 0}
    populated.erase_client(GONE)
    again = populated.erase_client(GONE)
    assert again["records"] == 0 and again["checkpoint_threads"] == 0
    assert populated.history(KEPT).sessions


def test_simulation_run_artefacts_can_be_erased_too():
    """A simulation run keeps per-client traces and data dirs; erasing must reach them as well."""
    import simulations

    erase = getattr(simulations, "erase_client", None)
    if erase is None:
        pytest.xfail(
            "simulations has no erase for run artefacts yet: it needs "
            "simulations.erase_client(run_dir, client_id) removing the client's JSONL trace, "
            "data dir, profile copy and manifest entry (then this test scans the run dir)"
        )
    pytest.fail("simulations.erase_client exists now: replace this xfail with a scan of a real run")
