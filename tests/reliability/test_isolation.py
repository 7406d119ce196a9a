"""Client isolation at the agent API: 50+ clients with near-identical stories, random queries.

Every client's story has the same shape; only a made-up name (their sister's) tells them apart.
Queries deliberately name *other* clients' sisters. Whatever the agent recalls, at the agent
level (``respond``) and at its configured store (``agent.memory.search``), must be the asking
client's own.
"""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

N_CLIENTS = 52
AGENT_QUERIES = 120
STORE_QUERIES = 1500


def _names(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    names: set[str] = set()
    while len(names) < n:
        name = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(3)).title()
        if not any(name in other or other in name for other in names):
            names.add(name)
    return sorted(names)


def _summary_echo(messages, schema=None):
    """A supervisor whose summary quotes the transcript, so summaries carry the client's name."""
    if schema is None:
        return "Noted."
    first = re.search(r"Client: (.*)", messages[-1].text)
    return {
        "text": f"The client said: {first.group(1) if first else 'little'}",
        "concerns": ["loneliness"],
    }


def test_recall_never_returns_another_clients_memory_under_random_queries(make_agent, clock):
    agent = make_agent(supervisor=_summary_echo)
    names = _names(N_CLIENTS)
    clients = {f"client{i:03d}": name for i, name in enumerate(names)}

    def first_session(client: str) -> None:
        name = clients[client]
        agent.start_session(client)
        agent.respond(
            client,
            f"My sister {name} moved abroad and I feel lonely at night. When {name} calls I feel "
            "anxious and guilty about work.",
        )
        agent.end_session(client)

    with ThreadPoolExecutor(max_workers=4) as pool:  # clients are served concurrently, as in prod
        list(pool.map(first_session, clients))
    clock.advance(timedelta(days=5))

    own_ids = {c: {i.id for i in agent.memory.items(c)} for c in clients}
    owner = {item_id: c for c, ids in own_ids.items() for item_id in ids}
    assert len(owner) == sum(len(ids) for ids in own_ids.values()), "item ids shared by clients"

    rng = random.Random(7)
    order = list(clients)
    for c in order:
        agent.start_session(c)
    queries = []
    for _ in range(AGENT_QUERIES):
        c = rng.choice(order)
        stranger = clients[rng.choice([o for o in order if o != c])]
        queries.append(
            (
                c,
                rng.choice(
                    [
                        f"Tell me what {stranger} said, my sister {stranger} moved abroad too.",
                        f"I feel lonely at night and anxious about work, like {stranger}.",
                        f"{stranger} {stranger} sister calls guilty lonely",
                    ]
                ),
            )
        )

    def ask(query: tuple[str, str]) -> int:
        c, text = query
        reply = agent.respond(c, text)
        for m in reply.recalled:
            assert owner.get(m.item_id) == c, (
                f"{c} recalled {m.item_id!r} of {owner.get(m.item_id)}"
            )
            assert m.session_id == f"{c}-s001"
            assert not any(n in m.text for o, n in clients.items() if o != c), m.text
        assert all(owner.get(r["item_id"]) == c for r in reply.trace["recalled"])
        return len(reply.recalled)

    with ThreadPoolExecutor(max_workers=4) as pool:
        recalled_total = sum(pool.map(ask, queries))
    assert recalled_total >= AGENT_QUERIES, "the fuzz must actually exercise recall"

    for _ in range(STORE_QUERIES):
        c = rng.choice(order)
        words = rng.sample(names, 3) + rng.sample(
            ["sister", "lonely", "work", "night", "guilty"], 2
        )
        for hit in agent.memory.search(c, " ".join(words), k=5):
            item = hit.item
            assert item.client_id == c, f"{c} got an item of {item.client_id}"
            if item.session_id == f"{c}-s002":  # this session's own queries (they name strangers)
                continue
            assert owner.get(item.id, c) == c
            assert not any(n in item.text for o, n in clients.items() if o != c), item.text
