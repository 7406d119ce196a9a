"""Load benchmark: many clients' sessions at once against a real Chroma server, fake chat model.

Starts ``chroma run`` on 127.0.0.1 (or uses ``--chroma-url``), builds one ``TherapistAgent`` in
server mode and drives ``--clients`` clients through ``--sessions`` sessions of ``--turns``
turns each from ``--workers`` threads. The chat model is the ``fake`` spec, so the numbers are
theraloop's own work: perception, risk, recall, strategy, guard, memory writes, checkpoints and
the cross-session review. Prints p50/p95 latencies, throughput and errors (which must be 0).

``--async`` drives the clients as asyncio tasks of one event loop instead, through the async
twins (``astart_session``, ``arespond`` and ``astream`` on alternate turns, ``aend_session``),
all at once; its baseline, run first in the same process, is ``--baseline-clients`` clients
served one at a time through the sync calls (no concurrency).

Example::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/load.py --clients 40 --turns 6 --workers 4
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/load.py --async --clients 50 --turns 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MESSAGES = (
    "I have been sleeping badly since I started the new job.",
    "My manager criticises every report I write and I feel useless.",
    "My sister stopped talking to me after the wedding.",
    "I keep replaying the argument with my partner in my head.",
    "Since the move I don't know anyone here and the evenings are long.",
    "I skipped the gym again and then felt guilty all night.",
    "My dad is ill and I can't concentrate on anything else.",
    "I snapped at my kids this morning and I hate that I did.",
    "Exams start next week and my chest feels tight all the time.",
    "I tried the breathing exercise and it helped a little.",
    "Honestly I don't see the point of talking about this.",
    "Work is fine I guess, but I want to talk about my friend.",
)


@dataclass
class Results:
    """Latencies (ms) and errors gathered by all workers."""

    turn_ms: list[float] = field(default_factory=list)
    start_ms: list[float] = field(default_factory=list)
    end_ms: list[float] = field(default_factory=list)
    first_piece_ms: list[float] = field(default_factory=list)
    node_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, exc: BaseException) -> None:
        with self.lock:
            self.errors[type(exc).__name__] += 1
            if len(self.first_errors) < 3:
                self.first_errors.append("".join(traceback.format_exception(exc))[-1500:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def chroma_server(root: Path, timeout: float):
    """Run ``chroma run`` on a free loopback port for the duration of the block."""
    exe = Path(sys.executable).with_name("chroma")
    port = _free_port()
    log = (root / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(root / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"chroma server did not start: {(root / 'chroma.log').read_text()[-1500:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_client(agent: Any, index: int, args: argparse.Namespace, res: Results) -> int:
    """Drive one client through its sessions; return the turns completed."""
    client = f"load-{index:04d}"
    done = 0
    for session in range(args.sessions):
        try:
            t = time.perf_counter()
            agent.start_session(client)
            start = (time.perf_counter() - t) * 1000
            turn_ms, nodes = [], []
            for turn in range(args.turns):
                text = MESSAGES[(index * 5 + session * 3 + turn) % len(MESSAGES)]
                t = time.perf_counter()
                reply = agent.respond(client, f"{text} ({client}, session {session + 1})")
                turn_ms.append((time.perf_counter() - t) * 1000)
                nodes.append(reply.trace.get("latency_ms", {}))
                done += 1
            t = time.perf_counter()
            agent.end_session(client)
            end = (time.perf_counter() - t) * 1000
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            res.error(exc)
            return done
        with res.lock:
            res.start_ms.append(start)
            res.end_ms.append(end)
            res.turn_ms.extend(turn_ms)
            for latency in nodes:
                for node, ms in latency.items():
                    res.node_ms[node].append(float(ms))
    return done


async def run_client_async(agent: Any, index: int, args: argparse.Namespace, res: Results) -> int:
    """Drive one client through its sessions with the async twins; return the turns completed.

    Even turns use ``arespond``, odd turns ``astream`` (its time to the first piece is kept too).
    """
    client = f"load-{index:04d}"
    done = 0
    for session in range(args.sessions):
        try:
            t = time.perf_counter()
            await agent.astart_session(client)
            start = (time.perf_counter() - t) * 1000
            turn_ms, first_ms, nodes = [], [], []
            for turn in range(args.turns):
                text = MESSAGES[(index * 5 + session * 3 + turn) % len(MESSAGES)]
                message = f"{text} ({client}, session {session + 1})"
                t = time.perf_counter()
                if turn % 2 == 0:
                    reply = await agent.arespond(client, message)
                    nodes.append(reply.trace.get("latency_ms", {}))
                else:
                    async for _ in agent.astream(client, message):
                        if len(first_ms) < (turn + 1) // 2:
                            first_ms.append((time.perf_counter() - t) * 1000)
                turn_ms.append((time.perf_counter() - t) * 1000)
                done += 1
            t = time.perf_counter()
            await agent.aend_session(client)
            end = (time.perf_counter() - t) * 1000
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            res.error(exc)
            return done
        with res.lock:
            res.start_ms.append(start)
            res.end_ms.append(end)
            res.turn_ms.extend(turn_ms)
            res.first_piece_ms.extend(first_ms)
            for latency in nodes:
                for node, ms in latency.items():
                    res.node_ms[node].append(float(ms))
    return done


async def run_async(agent: Any, args: argparse.Namespace, res: Results) -> int:
    """Serve every client at once as tasks of this event loop; return the turns completed."""
    tasks = [run_client_async(agent, i, args, res) for i in range(args.clients)]
    return sum(await asyncio.gather(*tasks))


def build_agent(args: argparse.Namespace, data_dir: Path, chroma_url: str) -> Any:
    from theraloop.agent import Settings, TherapistAgent, make_chat_model
    from theraloop.memory import HashingEmbedder, MiniLMEmbedder

    embedder = MiniLMEmbedder() if args.embedder == "minilm" else HashingEmbedder(dim=64)
    settings = Settings(
        data_dir=data_dir,
        therapist_model="fake",
        chroma_url=chroma_url,
        checkpoint_url=args.checkpoint_url,
    )
    # the product's own "fake" spec (a scripted neutral reply) for both LLM roles
    models = {role: make_chat_model("fake") for role in ("therapist", "supervisor")}
    return TherapistAgent.from_settings(settings, embedder=embedder, models=models)


def report(args: argparse.Namespace, res: Results, turns: int, wall: float, mode: str) -> dict:
    rows = [
        ("clients x sessions x turns", f"{args.clients} x {args.sessions} x {args.turns}"),
        ("workers", "asyncio tasks" if args.async_ else f"{args.workers} threads"),
        ("stores", mode),
        ("embedder", args.embedder),
        ("turns completed", str(turns)),
        ("errors", str(sum(res.errors.values())) + (f" {dict(res.errors)}" if res.errors else "")),
        ("wall time", f"{wall:.1f} s"),
        ("throughput", f"{turns / wall:.2f} turns/s"),
        ("turn latency p50 / p95 / max", _trio(res.turn_ms)),
        ("start_session p50 / p95 / max", _trio(res.start_ms)),
        ("end_session p50 / p95 / max", _trio(res.end_ms)),
    ]
    if res.first_piece_ms:
        rows.append(("astream first piece p50 / p95 / max", _trio(res.first_piece_ms)))
    for node in sorted(res.node_ms, key=lambda n: -statistics.median(res.node_ms[n])):
        rows.append((f"  node {node} p50 / p95", _trio(res.node_ms[node], with_max=False)))
    width = max(len(k) for k, _ in rows)
    print(f"\n{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-+-{'-' * 30}")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")
    for text in res.first_errors:
        print("\nfirst error:\n" + text, file=sys.stderr)
    return {
        "clients": args.clients,
        "sessions": args.sessions,
        "turns_per_session": args.turns,
        "workers": "asyncio" if args.async_ else args.workers,
        "stores": mode,
        "embedder": args.embedder,
        "turns": turns,
        "errors": sum(res.errors.values()),
        "wall_s": round(wall, 2),
        "throughput_turns_per_s": round(turns / wall, 3),
        "turn_ms": {"p50": _pct(res.turn_ms, 0.5), "p95": _pct(res.turn_ms, 0.95)},
        "start_ms": {"p50": _pct(res.start_ms, 0.5), "p95": _pct(res.start_ms, 0.95)},
        "end_ms": {"p50": _pct(res.end_ms, 0.5), "p95": _pct(res.end_ms, 0.95)},
        "first_piece_ms": {
            "p50": _pct(res.first_piece_ms, 0.5),
            "p95": _pct(res.first_piece_ms, 0.95),
        },
        "node_ms_p50": {n: _pct(v, 0.5) for n, v in res.node_ms.items()},
    }


def _trio(values: list[float], with_max: bool = True) -> str:
    text = f"{_pct(values, 0.5):.0f} / {_pct(values, 0.95):.0f}"
    return text + (f" / {max(values):.0f} ms" if with_max and values else " ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40, help="clients served (default 40)")
    parser.add_argument("--turns", type=int, default=6, help="turns per session (default 6)")
    parser.add_argument("--sessions", type=int, default=1, help="sessions per client (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent threads (default 4)")
    parser.add_argument("--embedder", choices=("minilm", "hashing"), default="minilm")
    parser.add_argument("--chroma-url", help="use this Chroma server instead of starting one")
    parser.add_argument("--checkpoint-url", help="postgresql://... for Postgres checkpoints")
    parser.add_argument("--server-timeout", type=float, default=60.0, help="server start limit (s)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--async",
        dest="async_",
        action="store_true",
        help="serve all clients at once as asyncio tasks through arespond/astream",
    )
    parser.add_argument(
        "--baseline-clients",
        type=int,
        default=5,
        help="with --async: clients served one at a time, sync, as the baseline (default 5)",
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.turns, args.sessions, args.workers) < 1:
        parser.error("--clients, --turns, --sessions and --workers must be >= 1")

    with tempfile.TemporaryDirectory(prefix="theraloop-load-") as tmp:
        root = Path(tmp)
        server = (
            _given(args.chroma_url) if args.chroma_url else chroma_server(root, args.server_timeout)
        )
        with server as url:
            agent = build_agent(args, root / "data", url)
            mode = "Chroma server + " + (
                "Postgres" if args.checkpoint_url else "SQLite checkpoints"
            )
            res = Results()
            agent.start_session("warm-up")  # load lazily built parts before timing
            agent.respond("warm-up", MESSAGES[0])
            agent.end_session("warm-up")
            baseline = None
            if args.async_:
                base_args = argparse.Namespace(**{**vars(args), "async_": False, "workers": 1})
                base_args.clients = args.baseline_clients
                base_res = Results()
                t0 = time.perf_counter()
                base_turns = sum(
                    run_client(agent, 10_000 + i, base_args, base_res)
                    for i in range(base_args.clients)
                )
                baseline = (base_args, base_res, base_turns, time.perf_counter() - t0)
            t0 = time.perf_counter()
            if args.async_:
                turns = asyncio.run(run_async(agent, args, res))
            else:
                with ThreadPoolExecutor(max_workers=args.workers) as pool:
                    futures = [
                        pool.submit(run_client, agent, i, args, res) for i in range(args.clients)
                    ]
                    turns = sum(f.result() for f in as_completed(futures))
            wall = time.perf_counter() - t0
            agent.close()
    if baseline is not None:
        print("\nbaseline: sync calls, one client at a time")
        base = report(*baseline, mode)
        print(f"\nasync: {args.clients} clients at once on one event loop")
    figures = report(args, res, turns, wall, mode)
    if baseline is not None:
        figures["baseline"] = base
        figures["errors"] += base["errors"]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 1 if figures["errors"] else 0


@contextmanager
def _given(url: str):
    yield url


if __name__ == "__main__":
    sys.exit(main())
