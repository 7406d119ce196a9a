"""Predict the next supporter strategy from the dialogue so far with a fitted linear model.

The model is a multinomial logistic regression over ESConv's eight strategy labels. Its inputs
are what the agent knows before it replies: the labels of its earlier replies (last, second to
last, the share of each so far), its turn index, what the client's last message asks for and
whether it asks a question, and three MiniLM sentence vectors (the client's last message, the mean
of the client's messages so far, the agent's last reply). It is fitted on ESConv's train split by
``benchmarks/train_next_strategy.py``; the parameters ship in ``models/next_strategy.npz`` (no
ESConv text; see ``models/next_strategy.md`` for the source, licence and figures). The policy
(:func:`theraloop.strategies.choose_strategy`) adds the clinical rules on top of these
probabilities.

Only numpy is needed at inference, and the vectors must come from the embedder the model was
fitted with (:data:`EMBEDDER_NAME`); callers with another embedder skip the learned prior.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from theraloop.strategies.catalog import ESCONV_LABELS
from theraloop.strategies.errors import StrategyInputError
from theraloop.strategies.requests import CLIENT_REQUESTS, ClientRequest

__all__ = [
    "EMBEDDER_NAME",
    "MODEL_SHA256",
    "NextStrategyFeatures",
    "NextStrategyModel",
    "feature_vector",
    "load_next_strategy_model",
]

EMBEDDER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The sentence embedder whose vectors the shipped model was fitted on."""

DIMENSIONS = 384
_TURN_BUCKETS = 12
_MODEL_FILE = "models/next_strategy.npz"
MODEL_SHA256 = "101833af8ab8ee615464cac5a32d3c2742498b35ef06747fcb84aa6abead650b"
"""SHA-256 of the shipped parameter file; loading refuses any other file."""


@dataclass(frozen=True)
class NextStrategyFeatures:
    """What the agent knows before its reply, in the form the model reads.

    Attributes:
        previous_labels: ESConv labels of the agent's earlier replies, oldest first.
        request: What the client's last message asks for
        (:func:`theraloop.strategies.detect_request`). client_asks: The client's last message
        contains a question mark. replied_since_client: The agent already spoke since the client's
        last message. client_vector: Embedding of the client's last message (zeros when there is
        none). client_mean_vector: Mean embedding of the client's messages so far.
        last_reply_vector: Embedding of the agent's last reply (zeros when there is none).
    """

    previous_labels: tuple[str, ...]
    request: ClientRequest
    client_asks: bool
    replied_since_client: bool
    client_vector: np.ndarray = field(repr=False)
    client_mean_vector: np.ndarray = field(repr=False)
    last_reply_vector: np.ndarray = field(repr=False)


def _one_hot(size: int, index: int) -> np.ndarray:
    vector = np.zeros(size, dtype=np.float64)
    vector[index] = 1.0
    return vector


def _vector(value: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.shape != (DIMENSIONS,):
        raise StrategyInputError(f"{what} must have {DIMENSIONS} values, got {array.shape}")
    return array


def feature_vector(features: NextStrategyFeatures) -> np.ndarray:
    """Return the model's input vector; training and inference both build it here."""
    unknown = [label for label in features.previous_labels if label not in ESCONV_LABELS]
    if unknown:
        raise StrategyInputError(f"previous_labels has non-ESConv labels {unknown!r}")
    index = {label: i for i, label in enumerate(ESCONV_LABELS)}
    none = len(ESCONV_LABELS)
    previous = features.previous_labels
    last = _one_hot(none + 1, index[previous[-1]] if previous else none)
    before = _one_hot(none + 1, index[previous[-2]] if len(previous) > 1 else none)
    shares = np.zeros(none, dtype=np.float64)
    for label in previous:
        shares[index[label]] += 1.0
    shares /= max(1, len(previous))
    turn = _one_hot(_TURN_BUCKETS, min(len(previous), _TURN_BUCKETS - 1))
    request = _one_hot(len(CLIENT_REQUESTS), CLIENT_REQUESTS.index(features.request))
    flags = np.array(
        [float(features.replied_since_client), float(features.client_asks)], dtype=np.float64
    )
    return np.concatenate(
        [
            last,
            before,
            shares,
            turn,
            request,
            flags,
            _vector(features.client_vector, "client_vector"),
            _vector(features.last_reply_vector, "last_reply_vector"),
            _vector(features.client_mean_vector, "client_mean_vector"),
        ]
    )


class NextStrategyModel:
    """A fitted multinomial logistic regression over ESConv's strategy labels."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, labels: Sequence[str]) -> None:
        """Hold the parameters.

        Args:
            coef: One row of weights per label.
            intercept: One bias per label.
            labels: The label of each row, a permutation of ``ESCONV_LABELS``.

        Raises:
            StrategyInputError: the shapes or labels do not fit together.
        """
        self.labels = tuple(labels)
        self._coef = np.asarray(coef, dtype=np.float64)
        self._intercept = np.asarray(intercept, dtype=np.float64)
        if sorted(self.labels) != sorted(ESCONV_LABELS) or self._coef.shape[0] != len(self.labels):
            raise StrategyInputError(f"model labels {self.labels!r} are not ESConv's eight")
        if self._intercept.shape != (len(self.labels),):
            raise StrategyInputError("intercept needs one value per label")

    def probabilities(self, features: NextStrategyFeatures) -> dict[str, float]:
        """Return the probability of each ESConv label for the next reply."""
        x = feature_vector(features)
        if x.shape[0] != self._coef.shape[1]:
            raise StrategyInputError(
                f"the model expects {self._coef.shape[1]} features, got {x.shape[0]}"
            )
        logits = self._coef @ x + self._intercept
        logits -= logits.max()
        weights = np.exp(logits)
        weights /= weights.sum()
        return {label: float(p) for label, p in zip(self.labels, weights, strict=True)}

    def save(self, path: str) -> str:
        """Write the parameters to ``path`` (npz) and return the file's SHA-256."""
        with open(path, "wb") as handle:
            np.savez(
                handle,
                coef=self._coef.astype(np.float32),
                intercept=self._intercept.astype(np.float32),
                labels=np.array(self.labels),
            )
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()


@cache
def load_next_strategy_model() -> NextStrategyModel:
    """Load the shipped model once, after checking the file's SHA-256.

    Raises:
        StrategyInputError: the file is missing or is not the one this release was built with.
    """
    resource = resources.files("theraloop.strategies").joinpath(_MODEL_FILE)
    try:
        data = resource.read_bytes()
    except FileNotFoundError as exc:
        raise StrategyInputError(f"strategies/{_MODEL_FILE} is missing") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise StrategyInputError(
            f"strategies/{_MODEL_FILE} has SHA-256 {digest}, expected {MODEL_SHA256}"
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        return NextStrategyModel(
            saved["coef"], saved["intercept"], [str(label) for label in saved["labels"]]
        )
