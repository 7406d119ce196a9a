"""Sweep benchmark: one fake-model simulation sweep on the thread backend and on Ray.

Runs the same sweep (``--clients`` shipped profiles x ``--sessions`` x ``--turns``, the real
``TherapistAgent`` with the ``fake`` chat models, so the figures are theraloop's own work) into
fresh run directories: first on threads (``--workers``, the baseline), then on a private local
Ray with 1 and with 2 worker processes. Each Ray run starts its own Ray and each worker process
loads its own embedder, as on a cluster; that start-up is inside the wall time and reported
beside it. Prints wall time and turns per second per backend, checks that every backend wrote
the same traces, and measures the per-task overhead Ray adds: the round trip of a client task
that finds its client already finished (lock, trace read, progress events, outcome) against the
same call on a thread.

Example::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/sweep.py --clients 4 --sessions 2 --turns 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from theraloop.simulations._ray import RayOptions, _client_task, _TaskSpec, ray_connection  # noqa: E402
from theraloop.simulations.profiles import builtin_profiles  # noqa: E402
from theraloop.simulations.runner import RunConfig, run_simulation  # noqa: E402
from theraloop.simulations.trace import trace_path  # noqa: E402


def comparable(value, places: int):
    """Drop measured latencies and round floats, which vary with timing and thread counts."""
    if isinstance(value, dict):
        return {k: comparable(v, places) for k, v in value.items() if k != "latency_ms"}
    if isinstance(value, list):
        return [comparable(v, places) for v in value]
    return round(value, places) if isinstance(value, float) else value


def traces(out: Path, ids: list[str], places: int) -> dict[str, list[str]]:
    out_lines = {}
    for cid in ids:
        rows = []
        for line in trace_path(out, cid).read_text().splitlines():
            data = json.loads(line)
            data.pop("resumed", None)
            rows.append(json.dumps(comparable(data, places), sort_keys=True))
        out_lines[cid] = rows
    return out_lines


def sweep(label: str, out: Path, config: RunConfig, profiles, ray: RayOptions | None) -> dict:
    started = time.perf_counter()
    result = run_simulation(config, out, profiles, progress=False, ray=ray)
    wall = time.perf_counter() - started
    turns = sum(o.turns_written for o in result.outcomes)
    errors = {o.client_id: o.error for o in result.outcomes if o.error}
    print(
        f"{label:<22} wall {wall:7.1f} s   turns {turns:4d}   {turns / wall:6.2f} turns/s"
        f"   errors {len(errors)}",
        flush=True,
    )
    return {"label": label, "wall_s": wall, "turns": turns, "errors": errors}


def task_overhead(out: Path, config: RunConfig, profiles, repeats: int) -> tuple[float, float]:
    """Median seconds of a no-work client task on a thread and as a Ray task (warm worker)."""
    spec = _TaskSpec(profiles[0], config, str(out), None, None, 60.0)

    def drain() -> None:
        for _ in _client_task(spec):
            pass

    local = []
    for _ in range(repeats):
        t = time.perf_counter()
        worker = threading.Thread(target=drain)
        worker.start()
        worker.join()
        local.append(time.perf_counter() - t)
    remote = []
    with ray_connection(RayOptions(), num_cpus=1) as ray:
        task = ray.remote(_client_task).options(num_cpus=1, max_retries=0)
        for _ in range(repeats + 1):  # the first call starts the worker process
            t = time.perf_counter()
            for ref in task.remote(spec):
                ray.get(ref)
            remote.append(time.perf_counter() - t)
    return statistics.median(local), statistics.median(remote[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="threads of the baseline")
    parser.add_argument("--repeats", type=int, default=20, help="overhead round trips")
    parser.add_argument("--out", type=Path, default=None, help="keep the run folders here")
    args = parser.parse_args()

    profiles = builtin_profiles()[: args.clients]
    ids = [p.id for p in profiles]
    base = RunConfig(
        sessions=args.sessions, turns=args.turns, therapist_model="fake", seed=11, workers=1
    )
    root = args.out or Path(tempfile.mkdtemp(prefix="theraloop-sweep-"))
    print(
        f"sweep: {len(profiles)} clients x {args.sessions} sessions x {args.turns} turns, "
        f"fake models, {os.cpu_count()} CPUs -> {root}",
        flush=True,
    )
    rows = [
        sweep(
            f"threads ({args.workers} workers)",
            root / "threads",
            base.model_copy(update={"workers": args.workers}),
            profiles,
            None,
        )
    ]
    for n in (1, 2):
        rows.append(
            sweep(
                f"ray ({n} worker process{'es' if n > 1 else ''})",
                root / f"ray-{n}",
                base.model_copy(update={"workers": n}),
                profiles,
                RayOptions(),
            )
        )
    for places in (12, 6):
        reference = traces(root / "threads", ids, places)
        for n in (1, 2):
            same = traces(root / f"ray-{n}", ids, places) == reference
            print(
                f"ray-{n} traces equal the thread run's (latencies dropped, floats to {places} "
                f"places): {same}"
            )
    started = time.perf_counter()
    with ray_connection(RayOptions(), num_cpus=2):
        pass
    print(
        f"private local Ray start + shutdown (inside each Ray wall time): "
        f"{time.perf_counter() - started:.1f} s"
    )
    local, remote = task_overhead(root / "threads", base, profiles, args.repeats)
    print(
        f"per-task overhead (finished client, median of {args.repeats}): thread {local * 1e3:.1f}"
        f" ms, ray {remote * 1e3:.1f} ms, added {(remote - local) * 1e3:.1f} ms"
    )
    return 0 if all(not r["errors"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
