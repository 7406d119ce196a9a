"""Train the condition reader's head on MiniLM sentence vectors; offline and seeded.

    python -m theraloop.agent.safety.training.conditions [--out PATH]

Embeds every sentence of ``agent/safety/data/condition_examples.yaml``,
``means_question_examples.yaml`` and ``risk_examples.yaml`` (:data:`RISK_EXAMPLES`) with the
bundled all-MiniLM-L6-v2, fits a class-balanced softmax regression (torch, CPU, one thread,
seed 0), and sets each class's thresholds on out-of-fold predictions (five stratified folds): the
lowest probabilities that at most :data:`MAX_NONE_RATE` (held) and
:data:`MAX_NONE_RATE_SUSPECTED` (suspected) of the ``none`` sentences reach. Then it refits on
everything and writes ``agent/safety/data/condition_reader.npz``; the digest it prints goes into
``theraloop.agent.safety.condition_reader.SHIPPED_SHA256``.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from theraloop.agent.safety.condition_reader import (
    CONDITION_CLASSES,
    ConditionHead,
    condition_head_digest,
)

MAX_NONE_RATE = 0.02
"""Share of ``none`` sentences allowed to reach a class's holding threshold out of fold."""

MAX_NONE_RATE_SUSPECTED = 0.10
"""The same share for the lenient threshold that only arms the reply guards."""

FOLDS = 5
SEED = 0
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "condition_reader.npz"


TRAINING_FILES = ("condition_examples.yaml", "means_question_examples.yaml")
"""Sentences written for theraloop, each file a mapping of class name to sentences."""

RISK_EXAMPLES = "risk_examples.yaml"
"""The risk reader's hand-written sentences: its delusion and mania classes keep their names and
every other class (suicide, self-harm, distress, abuse, look-alikes) is ``none`` here, so that a
plan or a preparatory act is not read as a belief detached from reality."""


def _read(name: str) -> dict[str, list[str]]:
    raw = resources.files("theraloop.agent.safety").joinpath(f"data/{name}").read_text("utf-8")
    data = yaml.safe_load(raw)
    return data["examples"] if "examples" in data else data["classes"]


def load_examples() -> tuple[list[str], np.ndarray]:
    """Return the training sentences of every training file and their class indices."""
    texts: list[str] = []
    labels: list[int] = []
    sources = [_read(name) for name in TRAINING_FILES]
    risk: dict[str, list[str]] = {"none": []}
    for label, sentences in _read(RISK_EXAMPLES).items():
        risk.setdefault(label if label in CONDITION_CLASSES else "none", []).extend(sentences)
    sources.append(risk)
    for source in sources:
        for label, sentences in source.items():
            k = CONDITION_CLASSES.index(label)
            for text in sentences:
                texts.append(" ".join(str(text).split()))
                labels.append(k)
    return texts, np.asarray(labels, dtype=np.int64)


def fit(x: np.ndarray, y: np.ndarray, *, epochs: int = 400, decay: float = 1e-3) -> tuple:
    """Fit a class-balanced softmax regression; return ``(weights, bias)`` as float32 arrays."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    k = len(CONDITION_CLASSES)
    counts = np.bincount(y, minlength=k).astype(np.float32)
    weight = torch.tensor(counts.sum() / (k * np.maximum(counts, 1.0)))
    xt, yt = torch.tensor(x), torch.tensor(y)
    linear = torch.nn.Linear(x.shape[1], k)
    opt = torch.optim.AdamW(linear.parameters(), lr=0.05, weight_decay=decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(linear(xt), yt)
        loss.backward()
        opt.step()
    w = linear.weight.detach().numpy().T.astype(np.float32)
    b = linear.bias.detach().numpy().astype(np.float32)
    return w, b


def _probs(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    logits = x @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def out_of_fold(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return each sentence's probabilities from a head fitted without its fold."""
    rng = np.random.default_rng(SEED)
    folds = np.empty(len(y), dtype=np.int64)
    for k in range(len(CONDITION_CLASSES)):
        idx = np.flatnonzero(y == k)
        folds[idx] = rng.permutation(len(idx)) % FOLDS
    probs = np.zeros((len(y), len(CONDITION_CLASSES)), dtype=np.float32)
    for f in range(FOLDS):
        held = folds == f
        w, b = fit(x[~held], y[~held])
        probs[held] = _probs(w, b, x[held])
    return probs


def thresholds(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per class, the lowest thresholds that at most the allowed shares of none sentences reach.

    Row 0 holds (:data:`MAX_NONE_RATE`, and at least 0.5), row 1 suspects
    (:data:`MAX_NONE_RATE_SUSPECTED`, and at least 0.4). The ``none`` sentences are hard
    look-alikes written to share the conditions' words, so ordinary talk reaches them less often.
    """
    out = np.ones((2, len(CONDITION_CLASSES)), dtype=np.float64)
    none = probs[y == 0]
    for row, (rate, floor) in enumerate(((MAX_NONE_RATE, 0.5), (MAX_NONE_RATE_SUSPECTED, 0.4))):
        for k in range(1, len(CONDITION_CLASSES)):
            scores = np.sort(none[:, k])[::-1]
            allowed = int(np.floor(rate * len(scores)))
            out[row, k] = max(float(scores[allowed]) + 1e-6, floor)
    return out


def main(argv: list[str] | None = None) -> int:
    """Train, report out-of-fold figures, and write the head."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    from theraloop.memory import MiniLMEmbedder

    texts, y = load_examples()
    embedder = MiniLMEmbedder()
    t0 = time.perf_counter()
    x = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    print(f"{len(texts)} sentences embedded in {time.perf_counter() - t0:.0f}s")

    probs = out_of_fold(x, y)
    cut = thresholds(probs, y)
    print(
        "out of fold: threshold, recall of the class, share of none reaching it (held | suspected)"
    )
    for k, name in enumerate(CONDITION_CLASSES[1:], start=1):
        cells = []
        for row in (0, 1):
            recall = float((probs[y == k, k] >= cut[row, k]).mean())
            false = float((probs[y == 0, k] >= cut[row, k]).mean())
            cells.append(f"{cut[row, k]:.3f} recall {recall:.3f} none {false:.3f}")
        print(f"  {name:14s} " + " | ".join(cells))
    w, b = fit(x, y)
    head = ConditionHead(w, b, CONDITION_CLASSES, embedder.name, cut)
    head.save(args.out)
    print(f"wrote {args.out} sha256 {condition_head_digest(ConditionHead.load(args.out))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
