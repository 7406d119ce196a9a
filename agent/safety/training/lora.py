"""Fine-tune all-MiniLM-L6-v2 end to end with LoRA for the risk reader; offline and seeded.

    python -m theraloop.agent.safety.training.lora [--out agent/safety/data/risk_reader_lora.npz]
        [--epochs 3] [--folds 3] [--seed 0] [--limit-steps N]

The training data are the head's (:func:`~theraloop.agent.safety.training.recipe.training_examples`,
same classes). Rank-8 LoRA adapters on the attention query and value projections of all six
layers, and a linear head over the mean-pooled, L2-normalised output, are trained jointly (torch,
CPU, fixed seed, deterministic algorithms). As for the head, the thresholds come from out-of-fold
predictions: the templates are split into ``--folds`` groups by a hash of their names and one
model per group is trained without it; then the model is refitted on everything and its LoRA
factors (float16) and head are saved with their sha256. The frozen evaluation sets under
``benchmarks/data`` are never read here. Needs ``peft`` (``pip install theraloop[training]``);
the reader that loads the result does not.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theraloop.agent.safety.classifier import CLASS_MAP, SELF_DIRECTED_CLASSES
from theraloop.agent.safety.reader_lora import (
    LORA_TARGETS,
    TunedWeights,
    base_model_path,
    tuned_digest,
)
from theraloop.agent.safety.training.recipe import training_examples
from theraloop.agent.safety.training.train import GATE_LOSS, choose_thresholds

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = ["main", "Recipe", "fit_model"]

CLASSES: tuple[str, ...] = tuple(CLASS_MAP)


class Recipe:
    """The fine-tuning hyperparameters (one place, printed by the command)."""

    rank = 8
    alpha = 16
    dropout = 0.1
    max_length = 64
    batch = 32
    lr = 1e-3
    head_lr = 2e-3
    weight_decay = 1e-2
    warmup = 0.06


def _fold(source: str, folds: int) -> int:
    """Assign a template (all its sentences) to one of the folds, by a hash of its name."""
    return int(hashlib.sha256(source.encode()).hexdigest(), 16) % folds


class _Classifier:
    """Builds the LoRA-wrapped MiniLM and its head as one torch module."""

    @staticmethod
    def build(seed: int) -> torch.nn.Module:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModel

        torch.manual_seed(seed)
        bert = AutoModel.from_pretrained(str(base_model_path()), local_files_only=True)
        config = LoraConfig(
            r=Recipe.rank,
            lora_alpha=Recipe.alpha,
            lora_dropout=Recipe.dropout,
            target_modules=list(LORA_TARGETS),
        )
        bert = get_peft_model(bert, config)

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert
                self.dropout = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(bert.config.hidden_size, len(CLASSES))
                self.scale = math.sqrt(bert.config.hidden_size)

            def pooled(self, ids: Any, mask: Any) -> Any:
                hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask[..., None].to(hidden.dtype)
                mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=-1)

            def forward(self, ids: Any, mask: Any) -> Any:
                return self.head(self.dropout(self.pooled(ids, mask) * self.scale))

        return Model()


def _tokenize(texts: Sequence[str]) -> list[list[int]]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_model_path()), local_files_only=True)
    return tok(list(texts), truncation=True, max_length=Recipe.max_length)["input_ids"]


def _batches(
    ids: list[list[int]], rows: np.ndarray, size: int, gen: torch.Generator | None
) -> list[np.ndarray]:
    """Group rows of similar length (less padding); shuffled within lengths and across batches."""
    import numpy as np
    import torch

    rows = np.asarray(rows)
    if gen is not None:
        rows = rows[torch.randperm(len(rows), generator=gen).numpy()]
    order = rows[np.argsort([len(ids[r]) for r in rows], kind="stable")]
    out = [order[i : i + size] for i in range(0, len(order), size)]
    if gen is not None:
        out = [out[i] for i in torch.randperm(len(out), generator=gen).tolist()]
    return out


def _pad(ids: list[list[int]], rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(ids[r]) for r in rows)
    t = torch.zeros((len(rows), width), dtype=torch.long)
    m = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        t[j, : len(ids[r])] = torch.tensor(ids[r])
        m[j, : len(ids[r])] = 1
    return t, m


def fit_model(
    ids: list[list[int]],
    y: np.ndarray,
    weights: np.ndarray,
    rows: np.ndarray,
    *,
    epochs: float,
    seed: int,
    limit_steps: int | None = None,
) -> torch.nn.Module:
    """Train a fresh LoRA model on ``rows`` with class-weighted cross-entropy; return it."""
    import torch

    model = _Classifier.build(seed)
    lora = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    head = list(model.head.parameters())
    opt = torch.optim.AdamW(
        [{"params": lora, "lr": Recipe.lr}, {"params": head, "lr": Recipe.head_lr}],
        weight_decay=Recipe.weight_decay,
    )
    gen = torch.Generator().manual_seed(seed)
    per_epoch = math.ceil(len(rows) / Recipe.batch)
    total = max(1, int(per_epoch * epochs))
    if limit_steps is not None:
        total = min(total, limit_steps)
    warm = max(1, int(total * Recipe.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    yt = torch.tensor(y, dtype=torch.long)
    wt = torch.tensor(weights, dtype=torch.float32)
    model.train()
    step, t0 = 0, time.perf_counter()
    while step < total:
        for batch in _batches(ids, rows, Recipe.batch, gen):
            if step >= total:
                break
            tokens, mask = _pad(ids, batch)
            idx = torch.as_tensor(batch)
            loss = torch.nn.functional.cross_entropy(model(tokens, mask), yt[idx], reduction="none")
            loss = (loss * wt[idx]).sum() / wt[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0 or step == total:
                rate = (time.perf_counter() - t0) / step
                print(f"  step {step}/{total} loss {loss.item():.3f} ({rate:.2f} s/step)")
    model.eval()
    return model


def predict(
    model: torch.nn.Module, ids: list[list[int]], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (unit vectors, class probabilities) for ``rows``, in order."""
    import numpy as np
    import torch

    vecs = np.zeros((len(rows), model.head.in_features), dtype=np.float32)
    probs = np.zeros((len(rows), len(CLASSES)), dtype=np.float32)
    where = {int(r): j for j, r in enumerate(rows)}
    with torch.no_grad():
        for batch in _batches(ids, rows, 128, None):
            tokens, mask = _pad(ids, batch)
            v = model.pooled(tokens, mask)
            p = torch.softmax(model.head(v * model.scale), dim=-1)
            at = [where[int(r)] for r in batch]
            vecs[at] = v.numpy()
            probs[at] = p.numpy()
    return vecs, probs


def _round_lora(model: torch.nn.Module) -> None:
    """Round the LoRA factors to float16 in place, as shipped, so measurements match the file."""
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.copy_(p.to(torch.float16).to(torch.float32))


def export(
    model: torch.nn.Module, *, flag: float, accept: float, prototypes: Any, min_similarity: float
) -> TunedWeights:
    """Collect the trained LoRA factors and head into the shipped weights."""
    import numpy as np

    params = dict(model.named_parameters())
    layers = model.bert.config.num_hidden_layers
    a = np.zeros((layers, len(LORA_TARGETS), Recipe.rank, model.head.in_features), np.float16)
    b = np.zeros((layers, len(LORA_TARGETS), model.head.in_features, Recipe.rank), np.float16)
    for i in range(layers):
        for j, target in enumerate(LORA_TARGETS):
            stem = f"bert.base_model.model.encoder.layer.{i}.attention.self.{target}"
            a[i, j] = params[f"{stem}.lora_A.default.weight"].detach().numpy()
            b[i, j] = params[f"{stem}.lora_B.default.weight"].detach().numpy()
    w = model.head.weight.detach().numpy().T * model.scale
    return TunedWeights(
        lora_a=a,
        lora_b=b,
        lora_scale=Recipe.alpha / Recipe.rank,
        head_w=np.ascontiguousarray(w, dtype=np.float32),
        head_b=model.head.bias.detach().numpy().astype(np.float32),
        classes=CLASSES,
        flag=flag,
        accept=accept,
        prototypes=np.asarray(prototypes, dtype=np.float16),
        min_similarity=min_similarity,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the fine-tuning command (see the module docstring)."""
    import numpy as np
    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default_out = Path(__file__).resolve().parents[1] / "data" / "risk_reader_lora.npz"
    ap.add_argument("--out", type=Path, default=default_out)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--folds", type=int, default=3, help="out-of-fold groups (0: no thresholds)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--limit-steps", type=int, default=None, help="stop each fit early (timing)")
    ap.add_argument("--lr", type=float, default=Recipe.lr, help="learning rate of the LoRA factors")
    args = ap.parse_args(argv)
    Recipe.lr = args.lr

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    t0 = time.perf_counter()
    examples = training_examples(args.seed)
    ids = _tokenize([e.text for e in examples])
    y = np.array([CLASSES.index(e.label) for e in examples])
    counts = Counter(e.label for e in examples)
    class_w = {c: len(examples) / (len(CLASSES) * max(counts[c], 1)) for c in CLASSES}
    w = np.array([class_w[e.label] for e in examples])
    n = len(examples)
    print(f"{n} sentences {dict(counts)}; mean {np.mean([len(i) for i in ids]):.1f} tokens")
    print(
        f"LoRA rank {Recipe.rank} alpha {Recipe.alpha} on {LORA_TARGETS}, {args.epochs} epochs, "
        f"batch {Recipe.batch}, lr {Recipe.lr}/{Recipe.head_lr}, {args.threads} threads"
    )

    self_idx = [CLASSES.index(c) for c in SELF_DIRECTED_CLASSES]
    positive = np.isin(y, self_idx)
    fold = np.array([_fold(e.source, max(args.folds, 1)) for e in examples])
    flag, accept = 0.5, 0.9
    if args.folds:
        risk = np.zeros(n)
        for k in range(args.folds):
            held = np.where(fold == k)[0]
            model = fit_model(
                ids,
                y,
                w,
                np.where(fold != k)[0],
                epochs=args.epochs,
                seed=args.seed,
                limit_steps=args.limit_steps,
            )
            _, probs = predict(model, ids, held)
            risk[held] = probs[:, self_idx].sum(axis=1)
            acc = float((probs.argmax(axis=1) == y[held]).mean())
            took = time.perf_counter() - t0
            print(f"fold {k}: {len(held)} held out, accuracy {acc:.3f}; {took:.0f}s", flush=True)
        flag, accept = choose_thresholds(risk, positive)
        auc = float((risk[positive][:, None] > risk[~positive][None, :]).mean())
        print(
            f"out-of-fold ({args.folds} folds of whole templates): {n} sentences "
            f"({int(positive.sum())} at risk), AUC {auc:.3f}; flag {flag:.3f} recall "
            f"{float((risk[positive] >= flag).mean()):.3f}; accept {accept:.3f} recall "
            f"{float((risk[positive] >= accept).mean()):.3f}"
        )
    model = fit_model(
        ids, y, w, np.arange(n), epochs=args.epochs, seed=args.seed, limit_steps=args.limit_steps
    )
    _round_lora(model)
    risk_rows = np.where(positive)[0]
    vecs, _ = predict(model, ids, risk_rows)
    sims = vecs @ vecs.T
    sims[fold[risk_rows][:, None] == fold[risk_rows][None, :]] = -1.0
    min_similarity = float(np.quantile(sims.max(axis=1), GATE_LOSS)) if args.folds else -1.0
    print(f"gate: min similarity {min_similarity:.3f} to {len(risk_rows)} prototypes")
    weights = export(
        model, flag=flag, accept=accept, prototypes=vecs, min_similarity=min_similarity
    )
    weights.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) sha256 {tuned_digest(weights)}")
    print(f"total {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
