"""Fit the next-strategy model on ESConv's train split and write its parameter file.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/train_next_strategy.py \\
        ../shared/data/esconv/train.json --out strategies/models/next_strategy.npz

A multinomial logistic regression (scikit-learn, lbfgs, C=0.5) over the features of
``theraloop.strategies.next_strategy.feature_vector``. Classes are weighted by the inverse square
root of their frequency, halfway between no weighting (which almost never predicts rare strategies)
and full balancing (which gives up accuracy for them). Only train.json is read; the SHA-256 printed
at the end goes into ``theraloop.strategies.next_strategy.MODEL_SHA256`` and the model card.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

import numpy as np  # noqa: E402
from _esconv import utterance_vectors  # noqa: E402
from _next_strategy_data import next_strategy_examples  # noqa: E402

from theraloop.strategies.next_strategy import NextStrategyModel, feature_vector  # noqa: E402


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="ESConv train.json")
    parser.add_argument("--out", default="strategies/models/next_strategy.npz")
    parser.add_argument("--c", type=float, default=0.5, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    if Path(args.path).name != "train.json":
        parser.error("fit on ESConv's train.json only (valid is for evaluation)")
    from sklearn.linear_model import LogisticRegression

    from theraloop.memory import MiniLMEmbedder

    examples = next_strategy_examples(args.path, utterance_vectors(MiniLMEmbedder(), args.path))
    x = np.array([feature_vector(e.features) for e in examples])
    y = [e.gold for e in examples]
    counts = Counter(y)
    weights = {label: (len(y) / (len(counts) * n)) ** 0.5 for label, n in counts.items()}
    fitted = LogisticRegression(C=args.c, max_iter=3000, class_weight=weights).fit(x, y)
    model = NextStrategyModel(fitted.coef_, fitted.intercept_, [str(c) for c in fitted.classes_])
    digest = model.save(args.out)
    print(f"fitted on {len(y)} supporter turns of {args.path}; features {x.shape[1]}")
    print(f"wrote {args.out} sha256 {digest}")


if __name__ == "__main__":
    main()
