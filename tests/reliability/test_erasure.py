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

import pytest

from tests.reliability import _support as s

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
    from theraloop.memory import open_chroma_client

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
    ``VACUUM``; the README, "Data and privacy", says to use pseudonymous client ids for that.)
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


SIM_GONE = "quill-sim-q7"
SIM_GONE_NAME = "Oriel Quillfeather"
SIM_GONE_WORDS = "the Thistlewood lighthouse keeps me awake"


@pytest.fixture
def sim_run(tmp_path, hashing):
    """A finished, evaluated simulation run with two clients; the first one is to be erased."""
    from theraloop.simulations import RunConfig, builtin_profiles, run_simulation
    from theraloop.simulations.judge import HeuristicJudge
    from theraloop.simulations.report import write_report

    base, kept = builtin_profiles()[:2]
    gone = base.model_copy(
        update={
            "id": SIM_GONE,
            "name": SIM_GONE_NAME,
            "opening_line": f"Honestly, {SIM_GONE_WORDS} most nights.",
        }
    )
    out = tmp_path / "run"
    result = run_simulation(
        RunConfig(profiles=(SIM_GONE, kept.id), sessions=2, turns=2, therapist_model="fake"),
        out,
        [gone, kept],
        embedder=hashing,
        progress=False,
    )
    assert result.ok
    write_report(out, judge=HeuristicJudge())
    return out, kept.id


def _mentions(root: Path, needles: tuple[str, ...]) -> list[str]:
    """Return every file or folder under ``root`` whose name or bytes hold a needle."""
    hits = [str(p) for p in root.rglob("*") if any(n in p.name for n in needles)]
    return hits + _files_with(root, needles)


def _plant_in_index_slack(data_dir: Path, text: str) -> list[Path]:
    """Put ``text`` where stale process memory lands: the unused capacity of HNSW index files.

    hnswlib reserves room for more vectors than it holds without clearing it and saves all of it,
    so in a one-process run another client's words can end up there (seen in this very test).
    """
    import struct

    planted = []
    for data in data_dir.glob("chroma/*/data_level0.bin"):
        _, _, _, count, size = struct.unpack_from(
            "<IQQQQ", (data.parent / "header.bin").read_bytes()
        )
        with data.open("r+b") as fh:
            fh.seek(count * size + 7)
            fh.write(text.encode())
        planted.append(data)
    assert planted, "no HNSW index file found: the Chroma layout changed"
    return planted


def _assert_index_still_answers(chroma_dir: Path) -> None:
    from theraloop.memory import open_chroma_client

    chroma = open_chroma_client(path=chroma_dir)
    for col in chroma.list_collections():
        col = chroma.get_collection(col.name) if isinstance(col, str) else col
        dims = len(col.get(limit=1, include=["embeddings"])["embeddings"][0])
        hits = col.query(query_embeddings=[[0.1] * dims], n_results=1)
        assert hits["ids"][0], f"collection {col.name} no longer answers queries"


def test_simulation_run_artefacts_can_be_erased_too(sim_run, capsys):
    """Trace, agent data dir (Chroma, checkpoints, records), markers, profile copy, manifest
    entry, judge scores and reports: afterwards no file of the run holds the client's id,
    name or words, and the other client's data is byte-for-byte what it was."""
    from theraloop.simulations import load_run
    from theraloop.simulations.cli import main

    out, kept = sim_run
    needles = (SIM_GONE, SIM_GONE_NAME, SIM_GONE_WORDS)
    before = _mentions(out, needles)
    assert all(any(h.endswith(f": {n}") for h in before) for n in needles), "nothing to find"
    assert any("traces" in h for h in before) and any("chroma" in h for h in before)
    assert any("judge" in h for h in before) and any("report.md" in h for h in before)
    kept_files = {
        p: p.read_bytes()
        for p in [out / "traces" / f"{kept}.jsonl", *(out / "progress" / kept).rglob("*")]
        if p.is_file()
    }
    planted = _plant_in_index_slack(out / "clients" / kept, SIM_GONE_WORDS)

    assert main(["erase", "--run", str(out), "--client", SIM_GONE]) == 0
    assert f"client {SIM_GONE!r} erased" in capsys.readouterr().out

    assert _mentions(out, needles) == [], "the erased client is still in the run directory"
    assert {p: p.read_bytes() for p in kept_files} == kept_files
    run = load_run(out)  # the run still loads, with the other client only
    assert list(run.clients) == [kept] and run.clients[kept].complete_sessions
    assert [c.id for c in run.manifest.clients] == [kept]
    assert run.manifest.config.profiles == (kept,)
    assert not any(SIM_GONE_WORDS.encode() in p.read_bytes() for p in planted)
    _assert_index_still_answers(out / "clients" / kept / "chroma")


def test_erasing_a_simulated_client_twice_or_an_unknown_one_is_a_no_op(sim_run):
    from theraloop.simulations import erase_client_from_run

    out, kept = sim_run
    first = erase_client_from_run(out, SIM_GONE)
    assert first.found and out / "manifest.json" in first.rewritten
    again = erase_client_from_run(out, SIM_GONE)
    assert not again.found and again.deleted == again.rewritten == []
    assert not erase_client_from_run(out, "never-simulated").found
    assert (out / "traces" / f"{kept}.jsonl").is_file()


@pytest.mark.parametrize("bad", ["../run", "", "a/b", ".hidden"])
def test_a_run_erase_refuses_ids_that_are_not_client_ids(tmp_path, bad):
    from theraloop.memory.errors import InvalidInputError
    from theraloop.simulations import erase_client_from_run

    (tmp_path / "victim").mkdir()
    with pytest.raises(InvalidInputError, match="client_id"):
        erase_client_from_run(tmp_path / "run", bad)
    assert (tmp_path / "victim").is_dir()


def test_a_run_erase_refuses_a_folder_that_holds_no_run(tmp_path):
    from theraloop.simulations.cli import main

    assert main(["erase", "--run", str(tmp_path), "--client", SIM_GONE]) == 2
