"""Shared helpers of the ESConv benchmarks: loading, label mapping, metrics, table printing.

ESConv (Liu et al., 2021) is research-only data: it is read at run time from the path given on
the command line and never copied into the repository.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _record import Table

# ESConv emotion_type -> theraloop Emotion. The eight types in valid.json map to themselves;
# the three rare ones are merged into their nearest label (see theraloop.strategies.vocab.Emotion).
ESCONV_EMOTION_MAP: dict[str, str] = {
    "anxiety": "anxiety",
    "nervousness": "anxiety",
    "fear": "fear",
    "depression": "depression",
    "sadness": "sadness",
    "pain": "sadness",
    "anger": "anger",
    "jealousy": "anger",
    "disgust": "disgust",
    "shame": "shame",
    "guilt": "guilt",
}


def load_dialogs(path: str | Path) -> list[dict[str, Any]]:
    """Read ESConv dialogs from a JSON-lines file (one dialog per line) or a JSON array."""
    text = Path(path).read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        return list(json.loads(stripped))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def normalise_strategy(label: str) -> str:
    """Map ESConv's strategy spellings onto theraloop.strategies.ESCONV_LABELS ('Reflection of
    feelings')."""
    cleaned = label.strip().strip("[]").strip()
    table = {
        "question": "Question",
        "questions": "Question",
        "restatement or paraphrasing": "Restatement or Paraphrasing",
        "reflection of feelings": "Reflection of feelings",
        "self-disclosure": "Self-disclosure",
        "affirmation and reassurance": "Affirmation and Reassurance",
        "providing suggestions": "Providing Suggestions",
        "information": "Information",
        "others": "Others",
        "other": "Others",
    }
    return table.get(cleaned.lower(), cleaned)


class PrecomputedEmbedder:
    """Wrap an embedder, embedding known texts in one batch and serving repeats from memory.

    The perceivers embed one message at a time, as in a live session; a benchmark that replays
    thousands of turns batches them up front instead, which gives the same vectors faster.
    """

    def __init__(self, inner: Any, texts: Sequence[str] = ()) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "wrapped")
        self.dimensions = getattr(inner, "dimensions", 0)
        unique = list(dict.fromkeys(texts))
        self._vectors = dict(zip(unique, inner.embed_documents(unique), strict=True))

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def embed_cached(embedder: Any, texts: Sequence[str], cache_dir: str | Path) -> np.ndarray:
    """Embed ``texts`` (rows in order), reusing vectors saved under ``cache_dir`` by earlier runs.

    Replaying ESConv embeds about 40,000 utterances (minutes on 2 cores); the cache keys each
    file by the embedder's name and the SHA-256 of the texts, so a changed file is re-embedded.
    The cache holds derived vectors of research data: keep it out of the repository (``runs/``).
    """
    import hashlib

    unique = list(dict.fromkeys(texts))
    digest = hashlib.sha256(
        "\x00".join([getattr(embedder, "name", "embedder"), *unique]).encode("utf-8")
    ).hexdigest()[:16]
    path = Path(cache_dir) / f"embeddings-{digest}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = np.asarray(embedder.embed_documents(unique), dtype=np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    index = {text: row for row, text in enumerate(unique)}
    return vectors[[index[text] for text in texts]]


def utterance_vectors(
    embedder: Any, path: str | Path, cache_dir: str | Path = "runs/esconv-cache"
) -> dict[str, np.ndarray]:
    """Return the embedding of every non-empty utterance of an ESConv file, keyed by its text."""
    texts = [
        turn["text"].strip()
        for dialog in load_dialogs(path)
        for turn in dialog["dialog"]
        if turn["text"].strip()
    ]
    unique = list(dict.fromkeys(texts))
    return dict(zip(unique, embed_cached(embedder, unique, cache_dir), strict=True))


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Return the share of exact matches."""
    return float(np.mean([g == p for g, p in zip(gold, pred, strict=True)])) if gold else 0.0


def macro_f1(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Return the unweighted mean F1 over ``labels`` (default: the labels present in gold).

    Predictions outside ``labels`` (e.g. 'neutral' when no gold turn is neutral) count as misses
    of the gold class but add no F1 term of their own.
    """
    labels = sorted(set(gold)) if labels is None else list(labels)
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def per_label_recall(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Return recall per gold label."""
    totals = Counter(gold)
    hits = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    return {label: hits[label] / totals[label] for label in sorted(totals)}


def _ranks(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    order = array.argsort(kind="mergesort")
    ranks = np.empty(len(array))
    ranks[order] = np.arange(1, len(array) + 1)
    for value in np.unique(array):  # average ranks of ties
        mask = array == value
        ranks[mask] = ranks[mask].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Return Spearman's rank correlation (ties get average ranks)."""
    if len(x) < 3:
        return float("nan")
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """Print a Markdown table and return it as a BENCHMARKS.md record's table."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "nan" if value != value else f"{value:.3f}"
        return str(value)

    table = Table(
        columns=tuple(header),
        rows=tuple(tuple(cell(v) for v in row) for row in rows),
        caption=f"{title}:",
    )
    print(f"\n### {title}\n")
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in table.rows:
        print("| " + " | ".join(row) + " |")
    return table
