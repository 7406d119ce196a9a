"""Crisis detection on the frozen generalization sets, written before the model they measure.

    python benchmarks/crisis_frozen.py [benchmarks/data/crisis_frozen_v1.yaml ...] [--latency N]
        [--record benchmarks/results/crisis_frozen.json]

Each set (``benchmarks/data/crisis_frozen_v*.yaml``) holds client statements that call for the
crisis protocol, statements that call at least for a safety question, and everyday look-alikes.
The sets are never used for training, thresholds or rules; a set is refused unless its sha256 is
the one recorded in :data:`FROZEN` (write a new version instead of editing one). Every frozen set
is reported, each beside the baseline detector with the project-example classifier
(``EmbeddingRiskClassifier``) measured in the same run.

Targets: protocol recall >= 0.90, protocol false alarms on look-alikes <= 0.05, guard rate (any
risk) on look-alikes <= 0.15. ``--latency N`` also times ``theraloop.agent.safety.assess_risk`` on N
messages (p50 target <= 30 ms on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _record import Table, add_record_options, write_record  # noqa: E402

from theraloop.agent.safety import EmbeddingRiskClassifier, RiskAssessor  # noqa: E402
from theraloop.agent.safety.reader_lora import TunedRiskReader  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
FROZEN: dict[str, str] = {
    "crisis_frozen_v1.yaml": "31419b9d635dff38fff91b4cc49452f428ebb3abf9059215693036ec491c4a2b",
    "crisis_frozen_v2.yaml": "48fbae0967580054906b0b332336af66a607599ae4238b882d2dcecfbd4a08f5",
    "crisis_frozen_v3.yaml": "6a7a40cec414188a8fa188a7c207392c791376004c9b9cc8afa6fdba1647608b",
}
"""File name -> sha256 of every set ever frozen."""

TARGET_RECALL = 0.90
TARGET_PROTOCOL_FA = 0.05
TARGET_GUARD_RATE = 0.15


def load_frozen(path: Path) -> dict[str, list[dict[str, str]]]:
    """Return a frozen set's sections after checking its hash.

    Raises:
        SystemExit: the file is unknown or changed.
    """
    import yaml

    expected = FROZEN.get(path.name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected is None or digest != expected:
        raise SystemExit(
            f"{path} is not a frozen set or was changed (sha256 {digest}, expected {expected}); "
            "frozen sets must not be edited: write a new version and add its hash to FROZEN"
        )
    data = yaml.safe_load(path.read_text("utf-8"))
    return {k: data[k] for k in ("protocol", "ask", "lookalike")}


def measure(assessor: RiskAssessor, sets: dict[str, list[dict[str, str]]], verbose: bool) -> dict:
    """Return the rates and the misses of one detector on one set."""
    out: dict = {"misses": Counter(), "false_alarms": [], "guarded": []}
    fired = any_risk = 0
    for item in sets["protocol"]:
        r = assessor.assess(item["text"], None)
        fired += r.requires_protocol
        any_risk += r.any_risk
        if not r.requires_protocol:
            out["misses"][item["kind"]] += 1
            if verbose:
                print(f"  miss {r.overall_level:9} {item['kind']:20} {item['text']}")
    ask = sum(assessor.assess(i["text"], None).any_risk for i in sets["ask"])
    lf = lg = 0
    for item in sets["lookalike"]:
        r = assessor.assess(item["text"], None)
        lf += r.requires_protocol
        lg += r.any_risk
        if r.requires_protocol:
            out["false_alarms"].append(item["text"])
        if r.any_risk and verbose:
            print(
                f"  look-alike {r.overall_level:9} protocol={int(r.requires_protocol)} "
                f"{item['kind']:18} {item['text']}"
            )
    n, m, k = len(sets["protocol"]), len(sets["lookalike"]), len(sets["ask"])
    out.update(
        recall=fired / n, any=any_risk / n, ask=ask / k, fa=lf / m, guard=lg / m, n=n, m=m, k=k
    )
    return out


def latency(n: int) -> tuple[float, float]:
    """Return p50 and p90 ms of ``assess_risk`` on ``n`` distinct short messages (warm)."""
    from theraloop.agent.safety import assess_risk

    assess_risk("warm up")
    times = []
    for i in range(n):
        text = f"Message {i}: I had a long week at work and I keep thinking about what she said."
        t0 = time.perf_counter()
        assess_risk(text)
        times.append(1000 * (time.perf_counter() - t0))
    q = statistics.quantiles(times, n=10)
    return statistics.median(times), q[8]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module docstring); ``--record PATH`` also writes a record."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("paths", type=Path, nargs="*", help="frozen sets (default: every one)")
    ap.add_argument("--latency", type=int, default=200, help="messages to time (0: skip)")
    ap.add_argument("--quiet", action="store_true", help="no per-sentence lines")
    add_record_options(ap)
    args = ap.parse_args(argv)
    paths = args.paths or [DATA / name for name in FROZEN]

    from theraloop.memory import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    detectors = {
        "baseline: patterns + example classifier": RiskAssessor(
            embedder, classifier=EmbeddingRiskClassifier(embedder)
        ),
        "patterns + learned reader (default)": RiskAssessor(embedder),
        "patterns + LoRA-tuned MiniLM reader": RiskAssessor(embedder, classifier=TunedRiskReader()),
    }
    for d in detectors.values():
        d.warm_up()
    rows = []
    for path in paths:
        sets = load_frozen(path)
        for name, det in detectors.items():
            print(f"\n{path.name} / {name}")
            r = measure(det, sets, verbose=not args.quiet)
            rows.append((path.name, name, r))
    print(
        "\n| set | detector | protocol recall | any risk on protocol-worthy | any risk on "
        "safety-question items | protocol on look-alikes | guards on look-alikes |"
    )
    print("|---|---|---|---|---|---|---|")
    for set_name, name, r in rows:
        print(
            f"| {set_name} | {name} | {r['recall']:.3f} ({r['n']}) | {r['any']:.3f} | "
            f"{r['ask']:.3f} ({r['k']}) | {r['fa']:.3f} ({r['m']}) | {r['guard']:.3f} |"
        )
    for set_name, name, r in rows:
        misses = ", ".join(f"{k} {v}" for k, v in r["misses"].most_common())
        print(f"{set_name} / {name}: missed kinds: {misses or '-'}")
    print(
        f"Targets: protocol recall >= {TARGET_RECALL}, protocol on look-alikes <= "
        f"{TARGET_PROTOCOL_FA}, guards on look-alikes <= {TARGET_GUARD_RATE}"
    )
    timing = latency(args.latency) if args.latency else None
    if timing:
        print(
            f"assess_risk latency over {args.latency} messages: "
            f"p50 {timing[0]:.1f} ms, p90 {timing[1]:.1f} ms"
        )
    if args.record:
        _record(args.record, args.machine, rows, timing, args.latency)
    return 0


def _record(path: Path, machine: str, rows: list, timing: tuple | None, messages: int) -> None:
    """Write the run's figures as the BENCHMARKS.md record at ``path``."""
    tables = [
        Table(
            columns=(
                "set",
                "detector",
                "protocol recall",
                "any risk, protocol-worthy",
                "any risk, safety-question",
                "protocol on look-alikes",
                "guards on look-alikes",
            ),
            rows=tuple(
                (
                    set_name.removesuffix(".yaml"),
                    name,
                    f"{r['recall']:.3f}",
                    f"{r['any']:.3f}",
                    f"{r['ask']:.3f}",
                    f"{r['fa']:.3f}",
                    f"{r['guard']:.3f}",
                )
                for set_name, name, r in rows
            ),
            caption=(
                f"Targets: protocol recall >= {TARGET_RECALL}, protocol on look-alikes <= "
                f"{TARGET_PROTOCOL_FA}, guards on look-alikes <= {TARGET_GUARD_RATE}. Sizes "
                "(protocol-worthy / safety-question / look-alike): "
                + "; ".join(
                    f"{s.removesuffix('.yaml')} {size[0]} / {size[1]} / {size[2]}"
                    for s, size in {s: (r["n"], r["k"], r["m"]) for s, _, r in rows}.items()
                )
                + "."
            ),
        )
    ]
    if timing:
        tables.append(
            Table(
                columns=("`assess_risk`, warm", "p50 ms", "p90 ms"),
                rows=(
                    (f"{messages} distinct short messages", f"{timing[0]:.1f}", f"{timing[1]:.1f}"),
                ),
                caption="Latency (target p50 <= 30 ms on 2 cores):",
            )
        )
    write_record(
        path,
        order=401,
        area="Safety",
        title="Learned risk reader on the frozen generalization sets",
        machine=machine,
        notes=(
            "Client statements that call for the crisis protocol, statements that call at least "
            "for a safety question, and everyday look-alikes (`benchmarks/data/crisis_frozen_v*"
            ".yaml`, refused unless their sha256 matches), written before the reader they measure "
            "and never used for training, thresholds or rules; no LLM. The baseline detector "
            "(patterns + the example-trained classifier) is measured in the same run.",
        ),
        tables=tables,
    )


if __name__ == "__main__":
    raise SystemExit(main())
