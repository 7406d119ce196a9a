"""Threads sharing one store: no lost writes, no cross-client mixing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_concurrent_writers_to_one_client_lose_nothing(store):
    def write(worker: int) -> list[str]:
        return [store.add("ana", f"worker {worker} memory {i}").id for i in range(10)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = [i for batch in pool.map(write, range(4)) for i in batch]
    assert sorted(i.id for i in store.items("ana")) == sorted(ids)
    assert len(ids) == 40


def test_concurrent_sessions_of_different_clients_stay_apart(store):
    def session(c: int) -> None:
        cid = f"client{c}"
        for i in range(6):
            store.add(cid, f"{cid} says thing {i}")
            for hit in store.search(cid, "says thing", k=5):
                assert hit.item.client_id == cid
            store.reinforce(cid, [store.search(cid, "thing", k=1)[0].item.id])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(session, range(6)))
    for c in range(6):
        items = store.items(f"client{c}")
        assert len(items) == 6 and all(i.client_id == f"client{c}" for i in items)
        assert sum(i.recall_count for i in items) == 6


def test_concurrent_reinforcements_are_all_counted(store):
    item = store.add("ana", "one shared memory")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: store.reinforce("ana", [item.id]), range(20)))
    assert store.get("ana", item.id).recall_count == 20
