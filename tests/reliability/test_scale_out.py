"""Server-mode stores: PostgreSQL checkpoints/records and a Chroma server, started for real.

The same crash/resume guarantees hold on ``PostgresSaver``/``PostgresStore`` as on SQLite, and
with both servers two worker processes can serve different clients at the same time.
"""

from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta

import pytest

from tests.reliability import _support as s


def _client(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_restart_resumes_the_open_session_from_postgres(postgres_url, make_agent, tmp_path):
    first = make_agent(checkpoint_url=postgres_url)
    first.start_session(s.CLIENT)
    first.respond(s.CLIENT, s.TURNS[0])
    first.close()
    second = make_agent(checkpoint_url=postgres_url)
    info = second.start_session(s.CLIENT)
    assert info.resumed and info.turns_so_far == 1
    assert second.respond(s.CLIENT, s.TURNS[1]).turn_index == 2
    second.end_session(s.CLIENT)
    s.assert_whole(second, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)
    assert not (tmp_path / "data" / "checkpoints.sqlite").exists(), "SQLite used despite the URL"


@pytest.mark.parametrize(
    "point",
    ["respond", "remember:memories_written", "plan:plan_saved", "consolidate:review_saved"],
)
def test_a_process_killed_mid_session_resumes_from_postgres(
    point, postgres_url, make_agent, tmp_path, clock
):
    data = tmp_path / "data"
    s.kill_child(data, point, checkpoint_url=postgres_url)
    agent = make_agent(data, checkpoint_url=postgres_url)
    if point.startswith(("plan", "consolidate")):
        assert agent.end_session(s.CLIENT).plan_version == 2
    else:
        info = agent.start_session(s.CLIENT)
        assert info.resumed and info.turns_so_far == 2
        assert agent.respond(s.CLIENT, s.TURNS[1]).turn_index == 2  # re-sent: answered once
        agent.end_session(s.CLIENT)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)


def test_an_agent_on_a_chroma_server_remembers_across_restarts_and_erases_there(
    chroma_server_url, make_agent, clock
):
    alice, bob = _client("alice"), _client("bob")
    agent = make_agent(chroma_url=chroma_server_url)
    for client, pet in ((alice, "Biscuit"), (bob, "Rex")):
        agent.start_session(client)
        agent.respond(client, f"My dog {pet} died last month and the house feels empty.")
        agent.end_session(client)
    agent.close()
    clock.advance(timedelta(days=7))

    again = make_agent(chroma_url=chroma_server_url)  # a new process, same server
    again.start_session(alice)
    reply = again.respond(alice, "I keep thinking about Biscuit when I come home.")
    assert any("Biscuit" in m.text for m in reply.recalled)
    assert all(m.session_id == f"{alice}-s001" for m in reply.recalled)
    s.assert_whole(
        again,
        alice,
        {
            f"{alice}-s001": ["My dog Biscuit died last month and the house feels empty."],
            f"{alice}-s002": ["I keep thinking about Biscuit when I come home."],
        },
        reviewed=1,
    )

    again.erase_client(alice)
    from theraloop.memory import open_chroma_client

    server = open_chroma_client(url=chroma_server_url)
    names = [getattr(c, "name", c) for c in server.list_collections()]
    assert not again.memory.has_client(alice) and again.memory.has_client(bob)
    for name in names:
        docs = server.get_collection(name).get(include=["documents", "metadatas"])
        assert alice not in str(docs) and "Biscuit" not in str(docs["documents"]), name


def test_a_process_killed_mid_turn_resumes_with_both_servers(
    postgres_url, chroma_server_url, make_agent, tmp_path
):
    client = _client("kim")
    data = tmp_path / "data"
    urls = {"checkpoint_url": postgres_url, "chroma_url": chroma_server_url}
    s.kill_child(data, "remember:memories_written", client=client, **urls)
    agent = make_agent(data, **urls)
    assert agent.respond(client, s.TURNS[1]).turn_index == 2
    agent.end_session(client)
    s.assert_whole(agent, client, {f"{client}-s001": list(s.TURNS[:2])}, reviewed=1)


def test_two_worker_processes_serve_different_clients_at_once(
    postgres_url, chroma_server_url, make_agent, tmp_path
):
    """The multi-process topology: shared servers, each client routed to one worker."""
    data = tmp_path / "data"
    groups = [[_client(f"w{w}c{i}") for i in range(3)] for w in range(2)]
    urls = ["--checkpoint-url", postgres_url, "--chroma-url", chroma_server_url]
    workers = [
        subprocess.Popen(
            [s.python(), "-m", s.DRIVER_MODULE, "serve", "--data-dir", str(data), *urls]
            + ["--clients", *g],
            env=s.child_env(),
            cwd=s.REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for g in groups
    ]
    for proc in workers:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-4000:]
    agent = make_agent(data, checkpoint_url=postgres_url, chroma_url=chroma_server_url)
    for client in (c for g in groups for c in g):
        said = [f"{text} ({client})" for text in s.TURNS]
        s.assert_whole(agent, client, {f"{client}-s001": said}, reviewed=1)
        others = [c for g in groups for c in g if c != client]
        texts = " ".join(i.text for i in agent.memory.items(client, include_archived=True))
        assert not any(f"({o})" in texts for o in others)
