"""Memories and traces survive a real process restart (embedded files and the server)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from theraloop.memory import MemoryStore, open_chroma_client

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from theraloop.memory import HashingEmbedder, ManualClock, MemoryStore, open_chroma_client
path, url, traces = sys.argv[1] or None, sys.argv[2] or None, Path(sys.argv[3])
store = MemoryStore(client=open_chroma_client(path=path, url=url), embedder=HashingEmbedder(64),
                    clock=ManualClock(datetime(2026, 2, 1, tzinfo=UTC)), trace_dir=traces)
hit = store.search("ana", "Lisbon", k=1)[0]
print(json.dumps({"clients": store.clients(), "text": hit.item.text,
                  "recalls": hit.item.recall_count,
                  "trace": [e.kind for e in store.trace("ana")]}))
"""


def _child(path: str, url: str, traces: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, url, str(traces)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _write(client, hashing, clock, traces: Path) -> None:
    store = MemoryStore(client=client, embedder=hashing, clock=clock, trace_dir=traces)
    item = store.add("ana", "I moved to Lisbon last year.")
    store.add("ben", "ben's memory")
    store.reinforce("ana", [item.id])


def test_a_new_process_reads_the_embedded_files(tmp_path, hashing, clock):
    _write(open_chroma_client(path=tmp_path / "db"), hashing, clock, tmp_path / "tr")
    seen = _child(str(tmp_path / "db"), "", tmp_path / "tr")
    assert seen["clients"] == ["ana", "ben"]
    assert seen["text"] == "I moved to Lisbon last year." and seen["recalls"] == 1
    assert seen["trace"] == ["add", "reinforce", "recall"]  # the child searched


@pytest.mark.server
def test_another_process_reads_through_the_server(chroma_server, tmp_path, hashing, clock):
    client = open_chroma_client(url=chroma_server.url)
    for col in client.list_collections():
        client.delete_collection(col.name)
    _write(client, hashing, clock, tmp_path / "tr")
    seen = _child("", chroma_server.url, tmp_path / "tr")
    assert seen["clients"] == ["ana", "ben"] and seen["recalls"] == 1
    for col in client.list_collections():
        client.delete_collection(col.name)


def test_erasure_leaves_no_byte_of_the_client_in_the_embedded_files(tmp_path, hashing, clock):
    root = tmp_path / "db"
    store = MemoryStore(client=open_chroma_client(path=root), embedder=hashing, clock=clock)
    store.add_many("ana", [{"text": f"QQSECRETQQ ana note {i}"} for i in range(40)])
    store.add_many("ben", [{"text": f"ben note {i}"} for i in range(5)])
    folders_before = {p.name for p in root.iterdir() if p.is_dir()}
    report = store.erase_client("ana")
    assert report.database_vacuumed and report.index_folders_deleted == 1
    for path in root.rglob("*"):
        if path.is_file():
            assert b"QQSECRETQQ" not in path.read_bytes(), path
    assert len({p.name for p in root.iterdir() if p.is_dir()}) == len(folders_before) - 1
    # the database still works for the other client and for new writes
    assert store.search("ben", "note", k=1)[0].item.client_id == "ben"
    store.add("ana", "a new start")
    assert [i.text for i in store.items("ana")] == ["a new start"]
