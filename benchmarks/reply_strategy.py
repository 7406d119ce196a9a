"""Benchmark the reply-strategy instrument against the strategies ESConv's annotators gave.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/reply_strategy.py \\
        ../shared/data/esconv/train.json ../shared/data/esconv/valid.json

The instrument (``_reply_classifier.ReplyStrategyInstrument``: TF-IDF words and characters,
MiniLM vector, context features, linear SVM) is fitted on the first file and scored on every
non-empty supporter reply of the second. Baselines in the same run: the majority class of the
training file and the package's ``StrategyClassifier`` (similarity to the catalog's example
replies plus surface cues, no training data). The confusion matrix shows where the instrument
errs. The feature set and C were compared on valid.json among a few alternatives, so valid is
not untouched for this instrument; the ESConv test split was never read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

from _esconv import (  # noqa: E402
    PrecomputedEmbedder,
    accuracy,
    macro_f1,
    print_table,
    utterance_vectors,
)
from _reply_classifier import ReplyStrategyInstrument, replies_in_context  # noqa: E402

from theraloop.strategies import ESCONV_LABELS, StrategyClassifier  # noqa: E402

SHORT = ("Que", "Res", "Ref", "Self", "Aff", "Sug", "Inf", "Oth")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", help="ESConv train.json (fits the instrument)")
    parser.add_argument("path", help="ESConv valid.json (scored)")
    args = parser.parse_args(argv)
    from theraloop.memory import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    train_replies, train_gold = replies_in_context(
        args.train, utterance_vectors(embedder, args.train)
    )
    vectors = utterance_vectors(embedder, args.path)
    replies, gold = replies_in_context(args.path, vectors)
    print(f"fit on {len(train_gold)} supporter replies, scored on {len(gold)}")

    start = time.perf_counter()
    instrument = ReplyStrategyInstrument(train_replies, train_gold)
    fit_s = time.perf_counter() - start
    predicted = instrument.predict(replies)
    majority = Counter(train_gold).most_common(1)[0][0]
    catalog = StrategyClassifier(PrecomputedEmbedder(embedder, list(vectors)))
    similarity = [catalog.classify(r.text).esconv_label or "Others" for r in replies]
    systems = {
        f"majority class ({majority})": [majority] * len(gold),
        "catalog similarity + cues (StrategyClassifier)": similarity,
        "instrument (fitted on train)": predicted,
    }
    print_table(
        f"Reply strategy vs ESConv annotations (instrument fitted in {fit_s:.0f} s)",
        ["system", "replies", "accuracy", "macro-F1"],
        [
            [name, len(gold), accuracy(gold, pred), macro_f1(gold, pred, ESCONV_LABELS)]
            for name, pred in systems.items()
        ],
    )
    counts = Counter(zip(gold, predicted, strict=True))
    print_table(
        "Instrument confusion (rows gold, columns predicted)",
        ["gold", *SHORT, "recall"],
        [
            [
                g,
                *(counts[(g, p)] for p in ESCONV_LABELS),
                counts[(g, g)] / max(1, sum(counts[(g, p)] for p in ESCONV_LABELS)),
            ]
            for g in ESCONV_LABELS
        ],
    )


if __name__ == "__main__":
    main()
