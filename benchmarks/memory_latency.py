"""Latency of MemoryStore search and add at 100 clients x 1,000 memories, beside raw Chroma.

Usage::

    .venv/bin/python benchmarks/memory_latency.py                   # 100 x 1,000 (100k memories)
    .venv/bin/python benchmarks/memory_latency.py --clients 10 --per-client 500

Steps: (1) generate synthetic therapy-like memories and embed them all with the real MiniLM
model in batches (timed separately; ``--embeddings-cache`` reuses them across runs); (2) load
them through ``MemoryStore.add_many`` into a PersistentClient in a temp folder (one collection per
client); (3) time, for random clients and queries:

* ``store.search`` end to end (MiniLM query embedding included) and without the embedding
  (query vector precomputed), warm and cold (first search of a client in a new process state);
* ``store.search`` right after an ``add`` to the same client (snapshot patch + BM25 rebuild);
* ``store.add`` of one memory end to end and without embedding, and ``add_many`` of 100
  (amortised per memory);
* raw Chroma: ``collection.query`` on one client's collection, ``collection.upsert`` of one
  record, and a query with ``where={"client_id": ...}`` on one shared collection of every memory
  (the layout theraloop avoids).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theraloop.memory import ManualClock, MemoryStore, MiniLMEmbedder, open_chroma_client  # noqa: E402

PEOPLE = [
    "my sister",
    "my brother",
    "my mother",
    "my father",
    "my manager",
    "my partner",
    "my son",
    "my daughter",
    "my best friend",
    "my neighbour",
    "my therapist",
    "my ex",
    "my grandmother",
    "a colleague",
    "my flatmate",
    "my coach",
]
FEELINGS = [
    "anxious",
    "angry",
    "ashamed",
    "relieved",
    "lonely",
    "hopeful",
    "exhausted",
    "guilty",
    "numb",
    "calm",
    "overwhelmed",
    "proud",
    "sad",
    "restless",
    "jealous",
]
EVENTS = [
    "a fight about money",
    "a long walk by the river",
    "a missed deadline",
    "a panic attack on the train",
    "a birthday dinner",
    "a job interview",
    "a sleepless night",
    "a hospital visit",
    "a weekend away",
    "a phone call that went badly",
    "a run in the park",
    "an argument about chores",
    "a school meeting",
    "a drink too many at the party",
    "a quiet evening of reading",
    "moving boxes all day",
    "a cancelled holiday",
    "a doctor's appointment",
    "a long shift at work",
    "cooking together for the first time",
]
WHEN = [
    "yesterday",
    "last week",
    "on Monday",
    "this morning",
    "over the weekend",
    "in spring",
    "after the session",
    "at Christmas",
    "two days ago",
    "on my birthday",
]
TEMPLATES = [
    "{when} I had {event} with {person} and felt {feeling}.",
    "I keep thinking about {event}; {person} said I seemed {feeling}.",
    "After {event} {when}, I felt {feeling} for hours.",
    "{person} and I talked about {event}. I was {feeling} but it helped.",
    "It was {event} again {when}. Honestly I feel {feeling} about {person}.",
]
QUESTIONS = [
    "How did you feel after {event}?",
    "What happened with {person}?",
    "When did you last feel {feeling}?",
    "Tell me more about {event} with {person}.",
    "Why were you {feeling} {when}?",
]


def _fill(rng: random.Random, template: str, i: int) -> str:
    text = template.format(
        person=rng.choice(PEOPLE),
        feeling=rng.choice(FEELINGS),
        event=rng.choice(EVENTS),
        when=rng.choice(WHEN),
    )
    return text if i < 0 else f"{text} (note {i})"


class Sample(float):
    """Wall seconds of one timed call, with the process CPU seconds it used as ``cpu``."""

    cpu: float = math.nan


def timed(fn: Callable[[], object]) -> Sample:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    fn()
    sample = Sample(time.perf_counter() - wall0)
    sample.cpu = time.process_time() - cpu0
    return sample


def percentiles(samples: Sequence[float]) -> tuple[float, float, float, float]:
    """Return wall (p50, p95, mean) and CPU p50, in milliseconds.

    CPU time is of the whole process (all threads: torch uses two); on a busy machine it stays
    close to what the wall time would be on an idle one, while wall time grows with the load.
    """
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    cpu = [getattr(s, "cpu", math.nan) * 1000 for s in samples]
    return statistics.median(ms), p95, statistics.fmean(ms), statistics.median(cpu)


class VectorLookup:
    """An embedder that returns precomputed MiniLM vectors (to time the store without the model).

    It carries MiniLM's name and dimensions: the vectors *are* MiniLM's, computed beforehand.
    """

    def __init__(self, name: str, dimensions: int, table: dict[str, np.ndarray]) -> None:
        self.name, self.dimensions, self.table = name, dimensions, table

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.table[t] for t in texts]  # type: ignore[misc]

    def embed_query(self, text: str) -> list[float]:
        return self.table[text]  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--per-client", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=500, help="timed searches per measure")
    parser.add_argument("--adds", type=int, default=200, help="timed single adds per measure")
    parser.add_argument(
        "--no-shared",
        action="store_true",
        help="skip the single shared collection (saves its load time)",
    )
    parser.add_argument(
        "--embeddings-cache",
        type=Path,
        default=None,
        help="folder to keep the corpus embeddings in (10k per file) for reruns",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["onnx", "torch"],
        choices=["onnx", "torch"],
        help="MiniLM backends timed side by side (the first embeds the corpus)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads while timing single calls (default 1: one short "
        "query gains ~1 ms from a second thread, and on a shared machine "
        "OpenMP spin-waiting distorts timings); batches use all cores",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    n_total = args.clients * args.per_client

    texts = [_fill(rng, rng.choice(TEMPLATES), i) for i in range(n_total)]
    queries = [_fill(rng, rng.choice(QUESTIONS), -1) for _ in range(args.searches)]
    extra = [
        _fill(rng, rng.choice(TEMPLATES), n_total + i)
        for i in range(args.adds * 3 + 500 * len(args.backends))
    ]

    print(
        f"corpus: {args.clients} clients x {args.per_client} memories = {n_total:,}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    models = {}
    for backend in args.backends:
        t = time.perf_counter()
        models[backend] = MiniLMEmbedder(backend=backend)
        print(f"MiniLM load ({backend}): {time.perf_counter() - t:.1f}s")
    model = models[args.backends[0]]

    t = time.perf_counter()
    cache = args.embeddings_cache
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    parts, reused = [], 0
    for start in range(0, n_total, 10_000):
        chunk = texts[start : start + 10_000]
        path = None if cache is None else cache / f"seed{args.seed}-{start}-{len(chunk)}.npy"
        if path is not None and path.exists():
            parts.append(np.load(path))
            reused += len(chunk)
            continue
        vecs = np.asarray(model.embed_documents(chunk), np.float32)
        if path is not None:
            np.save(path, vecs)
        parts.append(vecs)
        print(
            f"  embedded {start + len(chunk):,}/{n_total:,} ({time.perf_counter() - t:.0f}s)",
            file=sys.stderr,
            flush=True,
        )
    corpus_vecs = np.concatenate(parts)
    embed_s = time.perf_counter() - t
    computed = n_total - reused
    print(
        f"corpus embeddings: {embed_s:.1f}s for {computed:,} computed in batches"
        + (f" ({embed_s / computed * 1000:.2f} ms per memory)" if computed else "")
        + (f", {reused:,} reused from {cache}" if reused else "")
    )
    table = dict(zip(texts, corpus_vecs, strict=True))
    table.update(
        zip(queries, np.asarray(model.embed_documents(queries), dtype=np.float32), strict=True)
    )
    table.update(
        zip(extra, np.asarray(model.embed_documents(extra), dtype=np.float32), strict=True)
    )
    lookup = VectorLookup(model.name, model.dimensions, table)
    import torch

    batch_threads = torch.get_num_threads()
    torch.set_num_threads(args.torch_threads)
    print(f"torch threads for the timed calls: {torch.get_num_threads()}")

    folder = Path(tempfile.mkdtemp(prefix="theraloop-latency-"))
    try:
        client = open_chroma_client(path=folder / "chroma")
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        loader = MemoryStore(client=client, embedder=lookup, clock=clock)
        clients = [f"client-{c:03d}" for c in range(args.clients)]
        t = time.perf_counter()
        for c, cid in enumerate(clients):
            chunk = texts[c * args.per_client : (c + 1) * args.per_client]
            loader.add_many(
                cid,
                [
                    {
                        "text": x,
                        "created_at": clock() - timedelta(days=rng.uniform(0, 90)),
                        "session_id": f"s{rng.randint(1, 12)}",
                    }
                    for x in chunk
                ],
            )
        load_s = time.perf_counter() - t
        print(
            f"store load (add_many of {args.per_client} per client, vectors precomputed): "
            f"{load_s:.1f}s ({load_s / n_total * 1000:.2f} ms per memory)"
        )

        rows: list[tuple[str, tuple[float, float, float, float], str]] = []
        bare = MemoryStore(client=client, embedder=lookup, clock=clock)

        # cold: the first search of each client in a fresh store (snapshot read from Chroma)
        cold = [
            timed(lambda cid=cid: bare.search(cid, queries[0], k=10, record=False))
            for cid in clients[: min(len(clients), 50)]
        ]
        rows.append(("search, cold (first per client, no embedding)", percentiles(cold), ""))
        for cid in clients:
            bare.search(cid, queries[0], k=1, record=False)
        pairs = [(rng.choice(clients), q) for q in queries]
        rows.append(
            (
                "search without query embedding (k=10)",
                percentiles([timed(lambda c=c, q=q: bare.search(c, q, k=10)) for c, q in pairs]),
                "",
            )
        )
        it = iter(extra)
        adds_bare, after_add = [], []
        for _ in range(args.adds):
            cid = rng.choice(clients)
            adds_bare.append(timed(lambda cid=cid: bare.add(cid, next(it))))
            after_add.append(timed(lambda cid=cid: bare.search(cid, rng.choice(queries), k=10)))
        rows.append(("add one memory without embedding", percentiles(adds_bare), ""))
        rows.append(("search right after an add (no embedding)", percentiles(after_add), ""))

        for backend, embedder in models.items():  # the MiniLM-bound operations, per backend
            full = MemoryStore(client=client, embedder=embedder, clock=clock)
            for cid in clients:  # warm every client's snapshot
                full.search(cid, queries[0], k=1, record=False)
            rows.append(
                (
                    f"[{backend}] MiniLM embed_query",
                    percentiles(
                        [timed(lambda q=q, e=embedder: e.embed_query(q)) for _, q in pairs]
                    ),
                    "",
                )
            )
            rows.append(
                (
                    f"[{backend}] search end-to-end (k=10, MiniLM query)",
                    percentiles(
                        [timed(lambda c=c, q=q, f=full: f.search(c, q, k=10)) for c, q in pairs]
                    ),
                    "target p50<=15 p95<=30",
                )
            )
            adds_e2e = []
            for _ in range(args.adds):
                cid = rng.choice(clients)
                adds_e2e.append(timed(lambda cid=cid, f=full: f.add(cid, next(it))))
            rows.append((f"[{backend}] add one memory end-to-end", percentiles(adds_e2e), ""))
            per_memory = []
            torch.set_num_threads(batch_threads)
            for b in range(5):
                batch = [next(it) for _ in range(100)]
                cid = clients[b % len(clients)]
                sample = timed(
                    lambda cid=cid, batch=batch, f=full: f.add_many(
                        cid, [{"text": x} for x in batch]
                    )
                )
                per = Sample(sample / len(batch))
                per.cpu = sample.cpu / len(batch)
                per_memory.append(per)
            torch.set_num_threads(args.torch_threads)
            rows.append(
                (
                    f"[{backend}] add_many(100) end-to-end, per memory (5 batches)",
                    percentiles(per_memory),
                    "target <=10 amortised",
                )
            )

        # raw Chroma on the same data
        col = client.get_collection(bare._key(clients[1]), embedding_function=None)
        qvecs = {q: table[q].tolist() for q in queries}
        rows.append(
            (
                "raw Chroma query, one client's collection",
                percentiles(
                    [
                        timed(lambda q=q: col.query(query_embeddings=[qvecs[q]], n_results=10))
                        for _, q in pairs
                    ]
                ),
                "",
            )
        )
        raw_add = []
        for i in range(args.adds):
            vec = table[extra[i]].tolist()
            raw_add.append(
                timed(
                    lambda i=i, vec=vec: col.upsert(
                        ids=[f"raw-{i}"],
                        embeddings=[vec],
                        documents=[extra[i]],
                        metadatas=[{"kind": "turn"}],
                    )
                )
            )
        rows.append(("raw Chroma upsert of one record", percentiles(raw_add), ""))
        col.delete(ids=[f"raw-{i}" for i in range(args.adds)])

        if not args.no_shared:
            t = time.perf_counter()
            shared = client.create_collection(
                "latency_shared",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            size = client.get_max_batch_size()
            owners = [cid for cid in clients for _ in range(args.per_client)]
            for s in range(0, n_total, size):
                shared.add(
                    ids=[str(i) for i in range(s, min(n_total, s + size))],
                    embeddings=corpus_vecs[s : s + size],
                    documents=texts[s : s + size],
                    metadatas=[{"client_id": o} for o in owners[s : s + size]],
                )
            shared_load = time.perf_counter() - t
            rows.append(
                (
                    "raw Chroma query, one shared collection",
                    percentiles(
                        [
                            timed(
                                lambda q=q: shared.query(query_embeddings=[qvecs[q]], n_results=10)
                            )
                            for _, q in pairs
                        ]
                    ),
                    f"{n_total:,} items",
                )
            )
            rows.append(
                (
                    "raw Chroma query, shared + where client_id",
                    percentiles(
                        [
                            timed(
                                lambda c=c, q=q: shared.query(
                                    query_embeddings=[qvecs[q]],
                                    n_results=10,
                                    where={"client_id": c},
                                )
                            )
                            for c, q in pairs
                        ]
                    ),
                    "",
                )
            )
            print(f"shared collection load: {shared_load:.1f}s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    width = max(len(r[0]) for r in rows)
    head = f"{'operation'.ljust(width)} | {'p50 ms':>7} | {'p95 ms':>7} | {'mean ms':>7}"
    print(f"{head} | {'cpu p50':>7} | note")
    print(f"{'-' * width}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}-+-----")
    for name, (p50, p95, mean, cpu), note in rows:
        print(f"{name.ljust(width)} | {p50:7.2f} | {p95:7.2f} | {mean:7.2f} | {cpu:7.2f} | {note}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
