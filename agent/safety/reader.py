"""The learned risk reader: MiniLM sentence vectors and a small trained MLP head, shipped.

The head (384-256-11, about 100k weights, ``data/risk_reader.npz``) was trained offline by
``python -m theraloop.agent.safety.training`` on several thousand sentences generated from the YAML
recipe (C-SSRS screener items crossed with means, place, time, register, negation, person and tense,
with everyday look-alikes for each trigger) plus the hand-written ``risk_examples.yaml``; see
``agent/safety/MODEL_CARD.md``. Its sha256 is checked on load, so a damaged or retrained file
is refused instead of silently reading risk differently.

It reads every sentence of a message and, for short messages of several sentences, the whole
message too ("It's all arranged. Tonight." only means something as a whole). It has the same
interface as :class:`theraloop.agent.safety.classifier.EmbeddingRiskClassifier` and also carries its
own thresholds, chosen on held-out templates: ``flag`` (self-directed risk worth a safety question)
and ``accept`` (risk the detector takes at the head's level). A competence gate withholds
self-directed risk from a window unlike every at-risk training sentence (``prototypes``,
``min_similarity``), where the head would otherwise extrapolate.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from theraloop.agent.safety.classifier import (
    CLASS_MAP,
    SELF_DIRECTED_CLASSES,
    ClassifierReading,
    EmbeddingRiskClassifier,
    sentence_windows,
)
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np

    from theraloop.memory import Embedder

__all__ = [
    "HeadWeights",
    "LearnedRiskReader",
    "RiskReader",
    "default_reader",
    "reading_windows",
    "head_digest",
    "SHIPPED_SHA256",
    "MINILM_NAME",
]

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The embedder the shipped head was trained on."""

SHIPPED_SHA256 = "b77ed679c8033ad93583c94734a4d3652506e1cd39b7397384529b99f46606d7"
"""sha256 of the shipped head's arrays (:func:`head_digest`); the training command prints it."""

_WHOLE_MAX_WORDS = 60


class RiskReader(Protocol):
    """What the detector needs from a classifier layer: per-window class probabilities."""

    def fit(self) -> None:
        """Prepare the head (load or train) before the first message."""
        ...

    def read_many(self, texts: Sequence[str]) -> list[list[ClassifierReading]]:
        """Return per-window readings for each text."""
        ...


def default_reader(embedder: Embedder | None) -> RiskReader:
    """Return the shipped learned reader for MiniLM vectors, else the example-trained classifier.

    The shipped head only understands the vectors it was trained on; any other embedder (the
    hashing stand-in in tests, say) gets the small head trained on first use from
    ``risk_examples.yaml``.
    """
    if embedder is None or getattr(embedder, "name", None) == MINILM_NAME:
        return LearnedRiskReader(embedder)
    return EmbeddingRiskClassifier(embedder)


@dataclass(frozen=True)
class HeadWeights:
    """The trained MLP head and what it was trained against."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    classes: tuple[str, ...]
    embedder: str
    flag: float
    accept: float
    prototypes: np.ndarray
    min_similarity: float

    def save(self, path: Path) -> None:
        """Write the head as an uncompressed ``.npz`` (no pickled objects)."""
        import numpy as np

        np.savez(
            path,
            w1=self.w1,
            b1=self.b1,
            w2=self.w2,
            b2=self.b2,
            classes=np.array(self.classes),
            embedder=np.array(self.embedder),
            thresholds=np.array([self.flag, self.accept, self.min_similarity], dtype=np.float64),
            prototypes=self.prototypes.astype(np.float16),
        )

    @classmethod
    def load(cls, source: Path | None = None) -> HeadWeights:
        """Read a head; ``None`` reads the shipped one and checks its sha256.

        Raises:
            InvalidInputError: the shipped head's digest differs from :data:`SHIPPED_SHA256`.
        """
        import numpy as np

        if source is None:
            ref = resources.files("theraloop.agent.safety").joinpath("data/risk_reader.npz")
            with resources.as_file(ref) as path:
                head = cls._read(np.load(path, allow_pickle=False))
            digest = head_digest(head)
            if digest != SHIPPED_SHA256:
                raise InvalidInputError(
                    f"agent/safety/data/risk_reader.npz has sha256 {digest}, expected "
                    f"{SHIPPED_SHA256}; reinstall theraloop or retrain with "
                    "`python -m theraloop.agent.safety.training` and update SHIPPED_SHA256"
                )
            return head
        return cls._read(np.load(source, allow_pickle=False))

    @classmethod
    def _read(cls, data: np.lib.npyio.NpzFile) -> HeadWeights:
        flag, accept, min_similarity = (float(v) for v in data["thresholds"])
        return cls(
            w1=data["w1"],
            b1=data["b1"],
            w2=data["w2"],
            b2=data["b2"],
            classes=tuple(str(c) for c in data["classes"]),
            embedder=str(data["embedder"]),
            flag=flag,
            accept=accept,
            prototypes=data["prototypes"],
            min_similarity=min_similarity,
        )


def head_digest(head: HeadWeights) -> str:
    """Return the sha256 of a head's arrays, class names, embedder name and thresholds."""
    import numpy as np

    digest = hashlib.sha256()
    for array in (head.w1, head.b1, head.w2, head.b2):
        digest.update(np.ascontiguousarray(array, dtype="<f4").tobytes())
    digest.update("|".join(head.classes).encode())
    digest.update(head.embedder.encode())
    digest.update(np.ascontiguousarray(head.prototypes, dtype="<f2").tobytes())
    digest.update(f"{head.flag:.9f}|{head.accept:.9f}|{head.min_similarity:.9f}".encode())
    return digest.hexdigest()


def reading_windows(text: str) -> list[tuple[int, int]]:
    """Sentence windows, plus the whole message when it is short and has several sentences."""
    spans = sentence_windows(text)
    if len(spans) > 1 and len(text.split()) <= _WHOLE_MAX_WORDS:
        first = next((i for i, ch in enumerate(text) if not ch.isspace()), 0)
        spans.append((first, len(text.rstrip())))
    return spans


def gated_probabilities(
    logits: np.ndarray,
    x: np.ndarray,
    prototypes: np.ndarray,
    min_similarity: float,
    classes: Sequence[str],
) -> list[dict[str, float]]:
    """Return the softmax of ``logits`` per row, with the competence gate applied.

    Out of its depth: a window whose vector ``x`` is unlike every at-risk training sentence
    (``prototypes``) gets no self-directed risk; its mass moves to none (a classifier trained on
    templates extrapolates confidently on text it has never seen).
    """
    import numpy as np

    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    nearest = (x @ prototypes.astype(np.float32).T).max(axis=1)
    unseen = nearest < min_similarity
    if unseen.any():
        self_idx = [classes.index(c) for c in SELF_DIRECTED_CLASSES]
        none_idx = classes.index("none")
        p[np.ix_(unseen, [none_idx])] += p[np.ix_(unseen, self_idx)].sum(axis=1, keepdims=True)
        p[np.ix_(unseen, self_idx)] = 0.0
    return [dict(zip(classes, row.tolist(), strict=True)) for row in p]


def read_in_windows(
    texts: Sequence[str], predict_proba: Callable[[Sequence[str]], list[dict[str, float]]]
) -> list[list[ClassifierReading]]:
    """Return per-window readings for each text, all windows read in one batch."""
    pieces = [(i, s, e) for i, text in enumerate(texts) for s, e in reading_windows(text)]
    probs = predict_proba([texts[i][s:e] for i, s, e in pieces])
    out: list[list[ClassifierReading]] = [[] for _ in texts]
    for (i, s, e), pr in zip(pieces, probs, strict=True):
        out[i].append(ClassifierReading(start=s, end=e, text=texts[i][s:e], probs=pr))
    return out


class LearnedRiskReader:
    """Self-directed risk (and the other categories) read by the trained head on MiniLM vectors.

    Args:
        embedder: the embedder the head was trained on (``theraloop.memory.MiniLMEmbedder``).
        head: weights to use; ``None`` loads the shipped, hash-checked head on first use.

    Raises:
        InvalidInputError: on first use, when the embedder is not the one the head expects.
    """

    def __init__(self, embedder: Embedder | None, head: HeadWeights | None = None) -> None:
        self.embedder = embedder
        self._head = head
        self._lock = threading.Lock()
        self.classes: tuple[str, ...] = tuple(CLASS_MAP)

    @property
    def fitted(self) -> bool:
        """Say whether the head is loaded."""
        return self._head is not None

    @property
    def band(self) -> tuple[float, float]:
        """Return ``(flag, accept)``: the head's thresholds on self-directed risk."""
        head = self._weights()
        return head.flag, head.accept

    def fit(self) -> None:
        """Load (and check) the head now instead of on the first message."""
        self._loaded()

    def _weights(self) -> HeadWeights:
        with self._lock:
            if self._head is None:
                self._head = HeadWeights.load()
            return self._head

    def _loaded(self) -> HeadWeights:
        head = self._weights()
        if head.classes != self.classes:
            raise InvalidInputError(
                f"risk reader head has classes {head.classes!r}, expected {self.classes!r}"
            )
        name = getattr(self.embedder, "name", None)
        if name != head.embedder:
            raise InvalidInputError(
                f"the risk reader head was trained on {head.embedder!r} vectors, got embedder "
                f"{name!r}; pass theraloop.memory.MiniLMEmbedder()"
            )
        return head

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return class probabilities for each text."""
        import numpy as np

        if not texts:
            return []
        head = self._loaded()
        x = np.asarray(self.embedder.embed_documents(list(texts)), dtype=np.float32)
        if x.ndim != 2 or x.shape != (len(texts), head.w1.shape[0]):
            raise ValueError(f"embedder returned shape {x.shape!r} for {len(texts)} texts")
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        logits = np.maximum(x @ head.w1 + head.b1, 0.0) @ head.w2 + head.b2
        return gated_probabilities(logits, x, head.prototypes, head.min_similarity, self.classes)

    def read_many(self, texts: Sequence[str]) -> list[list[ClassifierReading]]:
        """Return per-window readings for each text, embedding all windows in one batch."""
        return read_in_windows(texts, self.predict_proba)
