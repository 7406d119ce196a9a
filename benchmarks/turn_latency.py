"""Turn latency of ``TherapistAgent``: p50/p95 per node and per turn, for each model spec given.

The fake chat model answers instantly, so its column is theraloop's own work per turn (target:
<= 100 ms); the local model's column is what a person waits for on this machine (target: p50 <=
8 s on 2 cores). Both run in the same process on the same messages, with one MiniLM shared, real
Chroma and real SQLite checkpoints in a temp dir. Each spec drives one client through
``--sessions`` sessions of ``--turns`` turns (session 2 onwards recalls session 1's memories);
the first turn of a spec is reported apart, as it includes loading the model.

Example::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/turn_latency.py --models fake local --turns 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from theraloop.agent.session_graph import NODES as _GRAPH_NODES  # noqa: E402

NODES = tuple(n for n in _GRAPH_NODES if n != "crisis_protocol")
"""The nodes every ordinary turn runs (the crisis protocol replaces recall ... remember)."""
MESSAGES = (
    "I haven't been sleeping since I lost my job last month.",
    "Every morning I wake up at four and my head starts racing about money.",
    "My wife says I should just apply anywhere, but I feel like a failure.",
    "I used to run on weekends, now I don't even leave the house.",
    "Maybe you're right, but I don't see how talking changes anything.",
    "Yesterday I did go for a short walk and it was a bit better.",
    "I'm worried my kids notice how down I am.",
    "I guess I could call my old manager about references.",
)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def drive(spec: str, embedder: object, sessions: int, turns: int, workdir: Path) -> dict:
    """Run one client through the sessions on ``spec``; return latencies in ms."""
    from theraloop.agent import Settings, TherapistAgent
    from theraloop.memory import ManualClock

    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    settings = Settings(data_dir=workdir / spec.replace(":", "_"), therapist_model=spec, seed=7)
    start = time.perf_counter()
    agent = TherapistAgent.from_settings(settings, clock=clock, embedder=embedder)
    out: dict = {
        "build": (time.perf_counter() - start) * 1000,
        "turn": [],
        "start": [],
        "end": [],
        "nodes": defaultdict(list),
        "first_turn": None,
        "crisis": 0,
        "reply_chars": [],
    }
    try:
        n = 0
        for _ in range(sessions):
            t = time.perf_counter()
            agent.start_session("bench-client")
            out["start"].append((time.perf_counter() - t) * 1000)
            for _ in range(turns):
                text = MESSAGES[n % len(MESSAGES)]
                clock.advance(timedelta(minutes=2))
                t = time.perf_counter()
                reply = agent.respond("bench-client", text)
                ms = (time.perf_counter() - t) * 1000
                out["crisis"] += reply.crisis
                out["reply_chars"].append(len(reply.text))
                if n == 0:
                    out["first_turn"] = ms
                else:
                    out["turn"].append(ms)
                    for node, node_ms in reply.trace.get("latency_ms", {}).items():
                        out["nodes"][node].append(node_ms)
                n += 1
            t = time.perf_counter()
            agent.end_session("bench-client")
            out["end"].append((time.perf_counter() - t) * 1000)
            clock.advance(timedelta(days=7))
    finally:
        agent.close()
    return out


def fmt(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 0.5):8.1f} / {percentile(values, 0.95):8.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["fake", "local"],
        help="model specs to compare (default: fake local)",
    )
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--turns", type=int, default=6, help="turns per session")
    args = parser.parse_args(argv)

    from theraloop.memory import MiniLMEmbedder

    t = time.perf_counter()
    embedder = MiniLMEmbedder()
    print(
        f"MiniLM load {time.perf_counter() - t:.1f} s; cores: {os.cpu_count()}; "
        f"{args.sessions} sessions x {args.turns} turns per model"
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="theraloop-turn-latency-") as tmp:
        for spec in args.models:
            results[spec] = drive(spec, embedder, args.sessions, args.turns, Path(tmp))

    width = 22
    print()
    print("p50 / p95 in ms".ljust(20) + "".join(spec.rjust(width) for spec in args.models))
    rows = [(f"node {node}", lambda r, node=node: r["nodes"].get(node, [])) for node in NODES]
    rows += [
        ("turn (after 1st)", lambda r: r["turn"]),
        (
            "non-respond work",
            lambda r: [
                turn - sum(r["nodes"]["respond"][i : i + 1]) for i, turn in enumerate(r["turn"])
            ],
        ),
        ("start_session", lambda r: r["start"]),
        ("end_session", lambda r: r["end"]),
    ]
    for label, get in rows:
        print(label.ljust(20) + "".join(fmt(get(results[s])).rjust(width) for s in args.models))
    print(
        "first turn".ljust(20)
        + "".join(f"{results[s]['first_turn']:.1f}".rjust(width) for s in args.models)
    )
    print(
        "agent build".ljust(20)
        + "".join(f"{results[s]['build']:.1f}".rjust(width) for s in args.models)
    )
    print(
        "reply chars (mean)".ljust(20)
        + "".join(
            f"{statistics.mean(results[s]['reply_chars']):.0f}".rjust(width) for s in args.models
        )
    )
    print(
        "crisis turns".ljust(20)
        + "".join(str(results[s]["crisis"]).rjust(width) for s in args.models)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
