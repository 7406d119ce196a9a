"""Learned perception heads: emotion and intensity read from the MiniLM vectors of the turn.

Two linear heads on the vectors the turn already computes (the client's message and the mean of
their earlier messages in the session): a multinomial logistic regression over ESConv's eight
emotion types (as merged in :data:`theraloop.strategies.vocab.Emotion`) and a ridge regression of
the seeker's own 1-5 intensity rating. They are fitted on ESConv's train split by
``benchmarks/train_perception_heads.py``; the parameters ship in ``models/perception_heads.npz``
(numbers only, no ESConv text; see ``models/perception_heads.md``).

:class:`LearnedPerceiver` uses them for the eight negative emotions and keeps the prototype
perceiver's reading when the message itself reads as joy, or as neutral with nothing earlier in
the session (labels ESConv never uses); a neutral message after emotional ones keeps the heads'
reading, which weighs the earlier messages.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from theraloop.agent.perception import EmotionReading, PrototypePerceiver, estimate_intensity
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    from theraloop.memory import Embedder

__all__ = [
    "EMBEDDER_NAME",
    "HEADS_SHA256",
    "PerceptionHeads",
    "LearnedPerceiver",
    "default_perceiver",
    "head_features",
    "load_perception_heads",
]

EMBEDDER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The sentence embedder whose vectors the shipped heads were fitted on."""

CONTEXT_TURNS = 20
"""Earlier client messages averaged into the context vector: in practice the whole session, since
a client's emotion persists across a conversation (ESConv labels a whole dialog with one)."""

_HEADS_FILE = "models/perception_heads.npz"
HEADS_SHA256 = "3befb129858392c94e05def34913625fa51f26e5f8317753dfd842d01868d78d"
"""SHA-256 of the shipped parameter file; loading refuses any other file."""


def head_features(own: np.ndarray, earlier: Sequence[np.ndarray]) -> np.ndarray:
    """Return the heads' input: the message vector, the mean earlier vector, a context flag."""
    own = np.asarray(own, dtype=np.float64).reshape(-1)
    recent = [np.asarray(v, dtype=np.float64).reshape(-1) for v in earlier][-CONTEXT_TURNS:]
    context = np.mean(recent, axis=0) if recent else np.zeros_like(own)
    return np.concatenate([own, context, [float(bool(recent))]])


@dataclass(frozen=True)
class PerceptionHeads:
    """Fitted parameters of the emotion and intensity heads."""

    emotion_coef: np.ndarray
    emotion_intercept: np.ndarray
    emotion_labels: tuple[str, ...]
    intensity_coef: np.ndarray
    intensity_intercept: float

    def emotion(self, features: np.ndarray) -> dict[str, float]:
        """Return the probability of each emotion label."""
        logits = self.emotion_coef @ features + self.emotion_intercept
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        return {label: float(p) for label, p in zip(self.emotion_labels, weights, strict=True)}

    def intensity_value(self, features: np.ndarray) -> float:
        """Return the ridge head's intensity estimate, unrounded."""
        return float(self.intensity_coef @ features + self.intensity_intercept)

    def intensity(self, features: np.ndarray) -> int:
        """Return the ridge head's intensity, rounded and clipped to 1-5."""
        return int(min(5, max(1, round(self.intensity_value(features)))))

    def save(self, path: str) -> str:
        """Write the parameters to ``path`` (npz) and return the file's SHA-256."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            emotion_coef=self.emotion_coef.astype(np.float32),
            emotion_intercept=self.emotion_intercept.astype(np.float32),
            emotion_labels=np.array(self.emotion_labels),
            intensity_coef=self.intensity_coef.astype(np.float32),
            intensity_intercept=np.array([self.intensity_intercept], dtype=np.float32),
        )
        data = buffer.getvalue()
        with open(path, "wb") as handle:
            handle.write(data)
        return hashlib.sha256(data).hexdigest()


def _parse(data: bytes) -> PerceptionHeads:
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        return PerceptionHeads(
            emotion_coef=saved["emotion_coef"].astype(np.float64),
            emotion_intercept=saved["emotion_intercept"].astype(np.float64),
            emotion_labels=tuple(str(label) for label in saved["emotion_labels"]),
            intensity_coef=saved["intensity_coef"].astype(np.float64),
            intensity_intercept=float(saved["intensity_intercept"][0]),
        )


@cache
def load_perception_heads() -> PerceptionHeads:
    """Load the shipped heads once, after checking the file's SHA-256.

    Raises:
        InvalidInputError: the file is missing or is not the one this release was built with.
    """
    resource = resources.files("theraloop.agent").joinpath(_HEADS_FILE)
    try:
        data = resource.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInputError(f"agent/{_HEADS_FILE} is missing") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != HEADS_SHA256:
        raise InvalidInputError(f"agent/{_HEADS_FILE} has SHA-256 {digest}, not {HEADS_SHA256}")
    return _parse(data)


class LearnedPerceiver:
    """Emotion and intensity from the learned heads; joy and neutral from the prototypes.

    Intensity is the mean of the ridge head (the seeker's own rating, a slow dialog-level
    signal) and the lexical estimate of :func:`theraloop.agent.perception.estimate_intensity` (what
    this message says), rounded: on ESConv's validation dialogs the mean tracked the seeker's rating
    better than either alone (Spearman 0.195 against 0.184 and 0.086, compared there).
    """

    def __init__(
        self,
        embedder: Embedder,
        heads: PerceptionHeads | None = None,
        *,
        keep_prototype_labels: bool = True,
    ) -> None:
        """Wrap a prototype perceiver on the same embedder.

        Args:
            embedder: The MiniLM embedder the heads were fitted on.
            heads: Fitted heads; the shipped ones when omitted.
            keep_prototype_labels: Keep the prototype reading of joy, and of neutral for a first
                message; False reads every message with the heads (ESConv's eight labels only).

        Raises:
            InvalidInputError: the embedder is not the one the heads were fitted on.
        """
        if getattr(embedder, "name", None) != EMBEDDER_NAME:
            raise InvalidInputError(
                f"the perception heads need {EMBEDDER_NAME} vectors, got {embedder.name!r}"
            )
        self._embedder = embedder
        self._heads = heads or load_perception_heads()
        self._prototype = PrototypePerceiver(embedder)
        self._keep_prototype_labels = keep_prototype_labels

    def _intensity(self, features: np.ndarray, text: str, label: str) -> int:
        mean = (self._heads.intensity_value(features) + estimate_intensity(text, label)) / 2
        return int(min(5, max(1, round(mean))))

    def perceive(self, text: str, context: Sequence[str] = ()) -> EmotionReading:
        """Read the emotion and intensity of ``text``; ``context`` = earlier client messages."""
        earlier = [c for c in context if isinstance(c, str) and c.strip()][-CONTEXT_TURNS:]
        if self._keep_prototype_labels:
            alone = self._prototype.perceive(text)
            if alone.label == "joy" or (alone.label == "neutral" and not earlier):
                return alone  # a factual message after emotional ones keeps their emotion
        vectors = np.asarray(self._embedder.embed_documents([text, *earlier]), dtype=np.float64)
        features = head_features(vectors[0], list(vectors[1:]))
        probabilities = self._heads.emotion(features)
        label = max(probabilities, key=lambda k: probabilities[k])
        return EmotionReading(
            label=label,  # type: ignore[arg-type]
            intensity=self._intensity(features, text, label),
            confidence=round(probabilities[label], 4),
            method="learned",
            scores={k: round(p, 4) for k, p in probabilities.items()},
        )


def default_perceiver(embedder: Embedder) -> LearnedPerceiver | PrototypePerceiver:
    """Return the learned perceiver with MiniLM vectors, else the prototype perceiver."""
    if getattr(embedder, "name", None) == EMBEDDER_NAME:
        return LearnedPerceiver(embedder)
    return PrototypePerceiver(embedder)
