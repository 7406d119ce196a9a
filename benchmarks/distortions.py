"""Benchmark cognitive-distortion detection on CBT-Bench's labelled distortion examples.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/distortions.py \\
        ../shared/data/cbt-bench/distortions_seed.json \\
        [--record benchmarks/results/distortions.json]

Each CBT-Bench item gives a client's automatic thoughts (``thoughts``) and one to three
distortion labels out of ten. Every system reads the thoughts and names a set of labels; the
figures are per-label F1 averaged over the ten labels (macro) and F1 over all label decisions
(micro). Systems, all in the same run:
  * majority: the most frequent label for every item;
  * zero-shot MiniLM: the two labels whose one-line definition (written here, from Burns'
    list) is most similar to the thoughts, by the best-matching sentence (two because items
    carry two or three labels; no threshold is fitted);
  * theraloop's patterns (``strategies.detect_distortions``), mapped onto CBT-Bench's names
    (``catastrophizing`` -> magnification; the patterns have no mental-filter rule).
The development half of CBT-Bench's distortion set holds 20 items, too few to fit a learned
head without testing on its training data, so none is fitted: the figures say how far the
shipped patterns are from the baselines, and on 20 items one hit moves macro-F1 by several
points.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

import numpy as np  # noqa: E402
from _esconv import print_table  # noqa: E402
from _record import Table, add_record_options, write_record  # noqa: E402

from theraloop.strategies.distortions import detect_distortions  # noqa: E402

DEFINITIONS: dict[str, str] = {
    "all-or-nothing thinking": "Black-and-white thinking: either perfect or a total failure.",
    "overgeneralization": "One bad event becomes a never-ending pattern: always, never, everyone.",
    "mental filter": "Dwelling on one negative detail so the whole picture looks dark.",
    "magnification": "Blowing things up: imagining the worst, a disaster, a catastrophe.",
    "mind reading": "Assuming you know what others think of you without evidence.",
    "fortune-telling": "Predicting that things will turn out badly, as if certain.",
    "should statements": "Rigid rules about how I or others should, must or ought to be.",
    "labeling": "Calling yourself or others a name: I am a failure, he is a loser.",
    "personalization": "Blaming yourself, or others, for things outside one's control.",
    "emotional reasoning": "I feel it, so it must be true: treating feelings as facts.",
}
_FROM_PATTERNS = {
    "all_or_nothing": "all-or-nothing thinking",
    "overgeneralization": "overgeneralization",
    "catastrophizing": "magnification",
    "mind_reading": "mind reading",
    "fortune_telling": "fortune-telling",
    "should_statements": "should statements",
    "labeling": "labeling",
    "personalization": "personalization",
    "emotional_reasoning": "emotional reasoning",
}


def scores(gold: list[set[str]], pred: list[set[str]]) -> tuple[float, float]:
    """Return (macro-F1 over the ten labels, micro-F1) of multi-label predictions."""
    f1s, tp_all, fp_all, fn_all = [], 0, 0, 0
    for label in DEFINITIONS:
        tp = sum(label in g and label in p for g, p in zip(gold, pred, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, pred, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, pred, strict=True))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0
    return float(np.mean(f1s)), micro


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="CBT-Bench distortions_seed.json")
    add_record_options(parser)
    args = parser.parse_args(argv)
    from theraloop.memory import MiniLMEmbedder

    items = json.loads(Path(args.path).read_text(encoding="utf-8"))
    thoughts = [str(item["thoughts"]) for item in items]
    gold = [{str(label) for label in item["distortions"]} for item in items]
    unknown = set().union(*gold) - set(DEFINITIONS)
    if unknown:
        raise SystemExit(f"labels outside the ten known: {sorted(unknown)}")
    majority = Counter(label for labels in gold for label in labels).most_common(1)[0][0]

    embedder = MiniLMEmbedder()
    names = list(DEFINITIONS)
    definitions = np.asarray(embedder.embed_documents(list(DEFINITIONS.values())))
    zero_shot = []
    for text in thoughts:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
        vectors = np.asarray(embedder.embed_documents(sentences))
        best = (vectors @ definitions.T).max(axis=0)
        zero_shot.append({names[i] for i in np.argsort(-best)[:2]})
    patterns = [
        {_FROM_PATTERNS[f.kind] for f in detect_distortions([text]) if f.kind in _FROM_PATTERNS}
        for text in thoughts
    ]
    systems = {
        f"majority ({majority})": [{majority} for _ in items],
        "zero-shot MiniLM, top 2 definitions": zero_shot,
        "theraloop patterns (strategies.detect_distortions)": patterns,
    }
    rows = []
    for name, pred in systems.items():
        macro, micro = scores(gold, pred)
        rows.append([name, len(items), macro, micro, sum(map(len, pred)) / len(items)])
    print_table(
        f"CBT-Bench distortions ({len(items)} items, {sum(map(len, gold)) / len(items):.1f} "
        "labels each)",
        ["system", "items", "macro-F1", "micro-F1", "labels named per item"],
        rows,
    )
    if args.record is not None:
        labels = sum(map(len, gold)) / len(items)
        write_record(
            args.record,
            order=304,
            area="Strategy and perception",
            title="CBT-Bench distortions",
            machine=args.machine,
            notes=(
                f"{len(items)} items with {labels:.1f} of 10 labels each; every system reads the "
                "client's thoughts and names a set of labels. Too few items to fit a learned head "
                "and still measure it, so none was fitted.",
            ),
            tables=(
                Table(
                    columns=("system", "macro-F1", "micro-F1", "labels named per item"),
                    rows=tuple((n, f"{a:.3f}", f"{b:.3f}", f"{c:.2f}") for n, _, a, b, c in rows),
                ),
            ),
        )


if __name__ == "__main__":
    main()
