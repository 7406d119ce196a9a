"""The fast local layer: sentence embeddings plus a small softmax head trained at first use.

The head is a multinomial logistic regression (numpy, L2, class-balanced) over the embeddings of
the sentences in ``data/risk_examples.yaml``: several hundred short utterances written for this
project, across risk classes and benign look-alikes (idioms, talk about other people, supportive
words to others, negated risk). It is trained on the first prediction, in about a second after the
embedder is loaded, and never on evaluation data.

Long messages are split into sentences (and long sentences into windows of words) so one risky
sentence in a long post is not diluted; the detector reads the riskiest sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from importlib import resources
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from theraloop.agent.safety.models import RiskCategory, RiskLevel
from theraloop.agent.safety.patterns import split_sentences
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np

    from theraloop.memory import Embedder

__all__ = [
    "CLASS_MAP",
    "SELF_DIRECTED_CLASSES",
    "ClassifierReading",
    "EmbeddingRiskClassifier",
    "load_examples",
    "sentence_windows",
]

CLASS_MAP: Mapping[str, tuple[RiskCategory | None, RiskLevel]] = {
    "none": (None, "none"),
    "distress": (None, "none"),
    "passive": ("suicide", "low"),
    "active": ("suicide", "moderate"),
    "plan": ("suicide", "high"),
    "imminent": ("suicide", "imminent"),
    "self_harm": ("self_harm", "moderate"),
    "harm_others": ("harm_to_others", "moderate"),
    "abuse": ("abuse_by_others", "moderate"),
    "delusion": ("delusion", "moderate"),
    "mania": ("mania", "moderate"),
}
"""What each classifier class means as (category, level)."""

SELF_DIRECTED_CLASSES = ("passive", "active", "plan", "imminent", "self_harm")

_WINDOW_WORDS = 60


class ClassifierReading(BaseModel):
    """The classifier's view of one sentence (or window) of a message."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    text: str
    probs: dict[str, float]

    @property
    def self_risk(self) -> float:
        """Return the probability that the sentence expresses suicide or self-harm risk."""
        return sum(self.probs.get(c, 0.0) for c in SELF_DIRECTED_CLASSES)

    @property
    def top_self_class(self) -> str:
        """Return the most likely self-directed class."""
        return max(SELF_DIRECTED_CLASSES, key=lambda c: self.probs.get(c, 0.0))


def load_examples() -> dict[str, list[str]]:
    """Return the shipped training sentences by class (``data/risk_examples.yaml``)."""
    import yaml

    text = (
        resources.files("theraloop.agent.safety")
        .joinpath("data/risk_examples.yaml")
        .read_text("utf-8")
    )
    data = yaml.safe_load(text)
    classes = data["classes"]
    unknown = sorted(set(classes) - set(CLASS_MAP))
    if unknown:
        raise InvalidInputError(f"risk_examples.yaml has unknown classes {unknown!r}")
    return {name: [str(s) for s in sentences] for name, sentences in classes.items()}


def _single_thread_blas() -> AbstractContextManager[object]:
    """Limit BLAS to one thread while training: tiny matrices, and threads thrash on busy CPUs."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional; only speed depends on it
        return nullcontext()
    return threadpool_limits(1)


def sentence_windows(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences, and sentences longer than a window into word windows."""
    out: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        words = [(i, i + len(w)) for i, w in _word_spans(text, start, end)]
        if len(words) <= _WINDOW_WORDS:
            out.append((start, end))
            continue
        step = _WINDOW_WORDS // 2
        for k in range(0, len(words), step):
            chunk = words[k : k + _WINDOW_WORDS]
            out.append((chunk[0][0], chunk[-1][1]))
            if k + _WINDOW_WORDS >= len(words):
                break
    return out


def _word_spans(text: str, start: int, end: int) -> list[tuple[int, str]]:
    spans = []
    i = start
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        j = i
        while j < end and not text[j].isspace():
            j += 1
        if j > i:
            spans.append((i, text[i:j]))
        i = j
    return spans


class EmbeddingRiskClassifier:
    """Embeddings + softmax head over the risk classes of :data:`CLASS_MAP`.

    Args:
        embedder: anything with ``embed_documents`` (e.g. ``theraloop.memory.MiniLMEmbedder``).
        examples: training sentences by class; ``None`` uses the shipped ones.
        l2: weight decay of the head.
        steps: full-batch gradient steps.
    """

    def __init__(
        self,
        embedder: Embedder,
        examples: Mapping[str, Sequence[str]] | None = None,
        *,
        l2: float = 3e-2,
        steps: int = 300,
    ) -> None:
        self.embedder = embedder
        self._examples = examples
        self._l2 = l2
        self._steps = steps
        self._lock = threading.Lock()
        self._weights: np.ndarray | None = None
        self._bias: np.ndarray | None = None
        self.classes: tuple[str, ...] = tuple(CLASS_MAP)

    @property
    def fitted(self) -> bool:
        """Say whether the head has been trained."""
        return self._weights is not None

    def fit(self) -> None:
        """Train the head on the examples (idempotent; thread-safe)."""
        import numpy as np

        with self._lock:
            if self._weights is not None:
                return
            examples = dict(self._examples) if self._examples is not None else load_examples()
            texts: list[str] = []
            labels: list[int] = []
            for name, sentences in examples.items():
                if name not in CLASS_MAP:
                    raise InvalidInputError(
                        f"unknown classifier class {name!r}; use one of {sorted(CLASS_MAP)}"
                    )
                for s in sentences:
                    texts.append(s)
                    labels.append(self.classes.index(name))
            if not texts:
                raise InvalidInputError("the risk classifier needs training examples, got none")
            x = self._embed(texts)
            with _single_thread_blas():
                self._weights, self._bias = self._train(x, np.asarray(labels))

    def _train(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        n, d = x.shape
        k = len(self.classes)
        counts = np.bincount(y, minlength=k).astype(float)
        class_w = np.where(counts > 0, n / (k * np.maximum(counts, 1.0)), 0.0)
        sample_w = class_w[y] / class_w[y].sum()
        onehot = np.eye(k)[y]
        w = np.zeros((d, k))
        b = np.zeros(k)
        lr = 0.01
        # Adam on the weighted cross-entropy; deterministic (no sampling).
        mw, vw, mb, vb = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
        scale = 8.0  # embeddings are unit-length; scaling speeds convergence
        xs = x * scale
        for t in range(1, self._steps + 1):
            logits = xs @ w + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            g = (p - onehot) * sample_w[:, None]
            gw = xs.T @ g + self._l2 * w
            gb = g.sum(axis=0)
            mw = 0.9 * mw + 0.1 * gw
            vw = 0.999 * vw + 0.001 * gw * gw
            mb = 0.9 * mb + 0.1 * gb
            vb = 0.999 * vb + 0.001 * gb * gb
            c1, c2 = 1 - 0.9**t, 1 - 0.999**t
            w -= lr * (mw / c1) / (np.sqrt(vw / c2) + 1e-8)
            b -= lr * (mb / c1) / (np.sqrt(vb / c2) + 1e-8)
        return w * scale, b

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        vectors = np.asarray(self.embedder.embed_documents(list(texts)), dtype=float)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"embedder returned shape {vectors.shape!r} for {len(texts)} texts")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return class probabilities for each text (trains the head first if needed)."""
        import numpy as np

        if not texts:
            return []
        self.fit()
        assert self._weights is not None and self._bias is not None
        logits = self._embed(texts) @ self._weights + self._bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return [dict(zip(self.classes, row.tolist(), strict=True)) for row in p]

    def read_many(self, texts: Sequence[str]) -> list[list[ClassifierReading]]:
        """Return per-sentence readings for each text, embedding all sentences in one batch."""
        pieces: list[tuple[int, int, int]] = []
        for i, text in enumerate(texts):
            for start, end in sentence_windows(text):
                pieces.append((i, start, end))
        probs = self.predict_proba([texts[i][s:e] for i, s, e in pieces])
        out: list[list[ClassifierReading]] = [[] for _ in texts]
        for (i, s, e), pr in zip(pieces, probs, strict=True):
            out[i].append(ClassifierReading(start=s, end=e, text=texts[i][s:e], probs=pr))
        return out
