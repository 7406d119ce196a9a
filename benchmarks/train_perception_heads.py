"""Fit the emotion and intensity heads on ESConv's train split and write their parameter file.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/train_perception_heads.py \\
        ../shared/data/esconv/train.json --out agent/models/perception_heads.npz

Every seeker turn is an example: its features are ``theraloop.agent.perception_heads.head_features``
of its MiniLM vector and those of the dialog's earlier seeker turns; the emotion label is the
dialog's ``emotion_type`` mapped onto theraloop's labels (scikit-learn LogisticRegression, C=1,
classes weighted by 1/sqrt(frequency)); the intensity target is the seeker's pre-chat rating
(``initial_emotion_intensity``, 1-5) for the dialog's first three seeker turns, which it
describes best (scikit-learn Ridge, alpha=10). Only train.json is read.
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
from _esconv import ESCONV_EMOTION_MAP, load_dialogs, utterance_vectors  # noqa: E402

from theraloop.agent.perception_heads import PerceptionHeads, head_features  # noqa: E402


def seeker_examples(
    path: str, vectors: dict[str, np.ndarray]
) -> list[tuple[np.ndarray, str, int, float | None]]:
    """Return (features, emotion, position among the seeker's turns, rated intensity) per turn."""
    examples = []
    for dialog in load_dialogs(path):
        gold = ESCONV_EMOTION_MAP.get(dialog["emotion_type"].strip().lower())
        if gold is None:
            continue
        rated = str(
            dialog.get("survey_score", {}).get("seeker", {}).get("initial_emotion_intensity", "")
        ).strip()
        intensity = float(rated) if rated.isdigit() else None
        earlier: list[np.ndarray] = []
        for turn in dialog["dialog"]:
            text = turn["text"].strip()
            if turn["speaker"] != "usr" or not text:
                continue
            examples.append((head_features(vectors[text], earlier), gold, len(earlier), intensity))
            earlier.append(vectors[text])
    return examples


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="ESConv train.json")
    parser.add_argument("--out", default="agent/models/perception_heads.npz")
    args = parser.parse_args(argv)
    if Path(args.path).name != "train.json":
        parser.error("fit on ESConv's train.json only (valid is for evaluation)")
    from sklearn.linear_model import LogisticRegression, Ridge

    from theraloop.memory import MiniLMEmbedder

    examples = seeker_examples(args.path, utterance_vectors(MiniLMEmbedder(), args.path))
    x = np.array([e[0] for e in examples])
    y = [e[1] for e in examples]
    counts = Counter(y)
    weights = {label: (len(y) / (len(counts) * n)) ** 0.5 for label, n in counts.items()}
    emotion = LogisticRegression(C=1.0, max_iter=3000, class_weight=weights).fit(x, y)
    rated = [i for i, e in enumerate(examples) if e[2] < 3 and e[3] is not None]
    intensity = Ridge(alpha=10.0).fit(x[rated], [examples[i][3] for i in rated])
    heads = PerceptionHeads(
        emotion_coef=emotion.coef_,
        emotion_intercept=emotion.intercept_,
        emotion_labels=tuple(str(c) for c in emotion.classes_),
        intensity_coef=np.asarray(intensity.coef_),
        intensity_intercept=float(intensity.intercept_),
    )
    digest = heads.save(args.out)
    print(f"emotion head: {len(y)} seeker turns, labels {sorted(counts)}")
    print(f"intensity head: {len(rated)} early seeker turns with a rating")
    print(f"wrote {args.out} sha256 {digest}")


if __name__ == "__main__":
    main()
