"""Train the learned risk reader's head on MiniLM sentence vectors; offline and seeded.

    python -m theraloop.agent.safety.training [--out agent/safety/data/risk_reader.npz] [--seed 0]
        [--cssrs ../shared/data/cssrs/cssrs_dev.csv]

Steps: expand the recipe (:mod:`theraloop.agent.safety.training.recipe`), embed every sentence with
the bundled all-MiniLM-L6-v2, fit a one-hidden-layer MLP (torch, CPU, one thread, fixed seed) six
times, each time holding out one sixth of the templates whole, choose the reader's two thresholds
on those out-of-fold predictions, refit on everything, and save the weights with their sha256.
The frozen evaluation sets under ``benchmarks/data`` are never read here.

With ``--cssrs`` the C-SSRS Reddit posts are added as weakly labelled data (each post takes its
user's label); they are read at training time only, never copied. Their licence is CC BY 4.0.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from theraloop.agent.safety.classifier import CLASS_MAP, SELF_DIRECTED_CLASSES
from theraloop.agent.safety.reader import HeadWeights, head_digest
from theraloop.agent.safety.training.recipe import Example, training_examples

if TYPE_CHECKING:
    import numpy as np

__all__ = ["main", "fit_head", "choose_thresholds"]

CLASSES: tuple[str, ...] = tuple(CLASS_MAP)
HIDDEN = 256
EPOCHS = 30
_CSSRS_LABELS = {
    "Supportive": "none",
    "Indicator": "distress",
    "Ideation": "active",
    "Behavior": "self_harm",
    "Attempt": "plan",
}


FOLDS = 6
GUARD_COST = 0.15
PROTOCOL_COST = 0.05
GATE_LOSS = 0.05


def _fold(source: str) -> int:
    """Assign a template (all its sentences) to one of the folds, by a hash of its name."""
    return int(hashlib.sha256(source.encode()).hexdigest(), 16) % FOLDS


def fit_head(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, seed: int
) -> tuple[np.ndarray, ...]:
    """Fit a 384-256-K MLP with weighted cross-entropy and return (w1, b1, w2, b2) as float32."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    xt = torch.tensor(x, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    wt = torch.tensor(weights, dtype=torch.float32)
    model = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(x.shape[1], HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(HIDDEN, len(CLASSES)),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    gen = torch.Generator().manual_seed(seed)
    n = len(yt)
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, 128):
            idx = order[start : start + 128]
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx], reduction="none")
            loss = (loss * wt[idx]).sum() / wt[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    lin1, lin2 = model[1], model[4]
    return tuple(
        np.ascontiguousarray(t.detach().numpy().astype(np.float32))
        for t in (lin1.weight.T, lin1.bias, lin2.weight.T, lin2.bias)
    )


def _probs(params: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    import numpy as np

    w1, b1, w2, b2 = params
    logits = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def choose_thresholds(risk: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Return (flag, accept) thresholds on self-directed risk, chosen on held-out sentences.

    The costs are the reader's targets on look-alikes: risk >= flag (guards on) may reach at most
    15% of the held-out negatives, risk >= accept (the head's level, the protocol for active or
    worse) at most 5%; both are as low as that allows, so recall is as high as those costs allow.
    """
    import numpy as np

    neg = np.sort(risk[~positive])
    flag = float(neg[int((1 - GUARD_COST) * (len(neg) - 1))]) + 1e-6
    accept = float(neg[int((1 - PROTOCOL_COST) * (len(neg) - 1))]) + 1e-6
    return flag, max(flag, accept)


def _cssrs(path: Path) -> list[Example]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from benchmarks.crisis import load

    out = []
    for user, label, posts in load(path):
        for post in posts:
            text = " ".join(post.split()[:120])
            if text:
                out.append(Example(text=text, label=_CSSRS_LABELS[label], source=f"cssrs.{user}"))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the training command (see the module docstring)."""
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_out = Path(__file__).resolve().parents[1] / "data" / "risk_reader.npz"
    ap.add_argument("--out", type=Path, default=default_out)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cssrs", type=Path, default=None, help="cssrs_dev.csv (weak labels)")
    ap.add_argument("--cssrs-weight", type=float, default=0.3)
    args = ap.parse_args(argv)

    from theraloop.memory import MiniLMEmbedder

    t0 = time.perf_counter()
    examples = training_examples(args.seed)
    weak = _cssrs(args.cssrs) if args.cssrs else []
    embedder = MiniLMEmbedder()
    texts = [e.text for e in examples + weak]
    x = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    y = np.array([CLASSES.index(e.label) for e in examples + weak])
    counts = Counter(e.label for e in examples)
    class_w = {c: len(examples) / (len(CLASSES) * max(counts[c], 1)) for c in CLASSES}
    w = np.array(
        [class_w[e.label] for e in examples] + [args.cssrs_weight * class_w[e.label] for e in weak]
    )
    print(f"{len(examples)} recipe sentences {dict(counts)}; {len(weak)} weak C-SSRS posts")
    print(f"embedded in {time.perf_counter() - t0:.0f}s")

    # Out-of-fold predictions: every template is held out once, whole, so the thresholds are
    # chosen on sentences from templates the head never saw.
    fold = np.array([_fold(e.source) for e in examples] + [-1] * len(weak))
    self_idx = [CLASSES.index(c) for c in SELF_DIRECTED_CLASSES]
    n = len(examples)
    risk = np.zeros(n)
    for k in range(FOLDS):
        held = fold == k
        params = fit_head(x[~held], y[~held], w[~held], args.seed)
        risk[held[:n]] = _probs(params, x[held])[:, self_idx].sum(axis=1)
    positive = np.isin(y[:n], self_idx)
    flag, accept = choose_thresholds(risk, positive)
    recall_flag = float((risk[positive] >= flag).mean())
    recall_accept = float((risk[positive] >= accept).mean())
    auc = float((risk[positive][:, None] > risk[~positive][None, :]).mean())
    print(
        f"out-of-fold ({FOLDS} folds of whole templates): {n} sentences "
        f"({int(positive.sum())} at risk), AUC {auc:.3f}; flag {flag:.3f} recall "
        f"{recall_flag:.3f}; accept {accept:.3f} recall {recall_accept:.3f}"
    )
    # The reader's competence gate: the at-risk sentences are its prototypes; min_similarity keeps
    # 95% of held-out at-risk sentences, each compared with those of the other folds only.
    risk_rows = np.where(positive)[0]
    sims = x[risk_rows] @ x[risk_rows].T
    same_fold = fold[risk_rows][:, None] == fold[risk_rows][None, :]
    sims[same_fold] = -1.0
    min_similarity = float(np.quantile(sims.max(axis=1), GATE_LOSS))
    print(f"gate: min similarity {min_similarity:.3f} to {len(risk_rows)} prototypes")
    params = fit_head(x, y, w, args.seed)
    head = HeadWeights(
        w1=params[0],
        b1=params[1],
        w2=params[2],
        b2=params[3],
        classes=CLASSES,
        embedder=embedder.name,
        flag=flag,
        accept=accept,
        prototypes=x[risk_rows].astype(np.float16),
        min_similarity=min_similarity,
    )
    head.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) sha256 {head_digest(head)}")
    print(f"total {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
