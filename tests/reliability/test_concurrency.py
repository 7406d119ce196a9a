"""Many clients at once (threads and asyncio) and two writers on one client: nothing lost or mixed.

Supported topology (see docs/scaling.md): one ``TherapistAgent`` per data dir per
process; it may serve any number of clients from any number of threads or tasks. Calls for the
same client are serialized by a per-client lock, so concurrent writers to one client queue up.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.reliability import _support as s

CLIENTS = [f"c{i:02d}" for i in range(8)]


def _script(client: str) -> list[str]:
    # the tag leads, so it sits in the reply's sentence that echoes this message: a tag at the end
    # would start the fake's stock closing question, which the repeat check rightly trims
    return [f"[{client}] {text}" for text in s.TURNS[:3]]


def _assert_separate(agent, clients) -> None:
    for c in clients:
        others = [f"[{o}]" for o in clients if o != c]
        texts = [i.text for i in agent.memory.items(c, include_archived=True)]
        texts += [t["client_text"] + t["reply"] for t in agent.records.traces(c)]
        mixed = [t for t in texts if any(o in t for o in others)]
        assert not mixed, f"{c} holds another client's words: {mixed}"


def test_concurrent_sessions_of_different_clients_in_threads_stay_whole_and_separate(make_agent):
    agent = make_agent()

    def session(client: str) -> list:
        agent.start_session(client)
        replies = [agent.respond(client, text) for text in _script(client)]
        agent.end_session(client)
        return replies

    with ThreadPoolExecutor(max_workers=len(CLIENTS)) as pool:
        results = dict(zip(CLIENTS, pool.map(session, CLIENTS), strict=True))
    for client, replies in results.items():
        assert [r.turn_index for r in replies] == [1, 2, 3]
        assert all(f"[{client}]" in r.text for r in replies), "a reply answered another client"
        s.assert_whole(agent, client, {f"{client}-s001": _script(client)}, reviewed=1)
    _assert_separate(agent, CLIENTS)


def test_concurrent_sessions_with_asyncio_interleave_turns_without_mixing(make_agent, clock):
    agent = make_agent()

    async def run() -> dict[str, list]:
        await asyncio.gather(*(agent.astart_session(c) for c in CLIENTS))
        replies: dict[str, list] = {c: [] for c in CLIENTS}
        for turn in range(3):  # every client's turn k runs at the same time
            batch = await asyncio.gather(*(agent.arespond(c, _script(c)[turn]) for c in CLIENTS))
            for c, reply in zip(CLIENTS, batch, strict=True):
                replies[c].append(reply)
        await asyncio.gather(*(agent.aend_session(c) for c in CLIENTS))
        return replies

    results = asyncio.run(run())
    for client, replies in results.items():
        assert [r.turn_index for r in replies] == [1, 2, 3]
        assert all(f"[{client}]" in r.text for r in replies)
        s.assert_whole(agent, client, {f"{client}-s001": _script(client)}, reviewed=1)
    _assert_separate(agent, CLIENTS)

    clock.advance(timedelta(days=7))  # recall across sessions under concurrency stays per client

    async def second() -> list:
        await asyncio.gather(*(agent.astart_session(c) for c in CLIENTS))
        return await asyncio.gather(
            *(agent.arespond(c, f"I still sleep badly and work is hard [{c}]") for c in CLIENTS)
        )

    for client, reply in zip(CLIENTS, asyncio.run(second()), strict=True):
        assert reply.recalled, "nothing recalled from session 1"
        assert all(m.session_id == f"{client}-s001" for m in reply.recalled)


def test_two_writers_to_one_client_queue_up_and_lose_no_update(make_agent):
    agent = make_agent()
    agent.start_session(s.CLIENT)
    sent = {w: [f"writer {w} message {i}: work keeps me awake" for i in range(6)] for w in "ab"}
    barrier = threading.Barrier(2)

    def write(writer: str) -> list:
        barrier.wait()
        return [agent.respond(s.CLIENT, text) for text in sent[writer]]

    with ThreadPoolExecutor(max_workers=2) as pool:
        out = dict(zip("ab", pool.map(write, "ab"), strict=True))
    indexes = sorted(r.turn_index for replies in out.values() for r in replies)
    assert indexes == list(range(1, 13)), "two turns got the same index (a lost update)"
    for writer, replies in out.items():  # each writer's own order is kept
        assert [r.turn_index for r in replies] == sorted(r.turn_index for r in replies)
        assert [s.therapist_reply_for(t) for t in sent[writer]] == [r.text for r in replies]
    turns = s.conversation(agent, s.CLIENT)["kim-s001"]
    agent.end_session(s.CLIENT)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": [t.client_text for t in turns]}, reviewed=1)
    assert sorted(t.client_text for t in turns) == sorted(sent["a"] + sent["b"])


def test_two_async_writers_to_one_client_lose_no_update(make_agent):
    agent = make_agent()
    agent.start_session(s.CLIENT)
    texts = [f"message {i}: my manager criticises my work" for i in range(8)]

    async def run() -> list:
        return await asyncio.gather(*(agent.arespond(s.CLIENT, t) for t in texts))

    replies = asyncio.run(run())
    assert sorted(r.turn_index for r in replies) == list(range(1, 9))
    for text, reply in zip(texts, replies, strict=True):
        assert reply.text == s.therapist_reply_for(text)
    turns = s.conversation(agent, s.CLIENT)["kim-s001"]
    assert sorted(t.client_text for t in turns) == sorted(texts)
