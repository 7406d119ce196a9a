"""The fine-tuned risk reader: all-MiniLM-L6-v2 with shipped LoRA deltas and a linear head.

``python -m theraloop.agent.safety.training.lora`` fine-tunes MiniLM end to end (rank-8 LoRA on
the attention query and value projections of all six layers, and a linear head over the
mean-pooled, normalised output) on the same sentences and classes as the MLP head of
:mod:`theraloop.agent.safety.reader`; see ``agent/safety/MODEL_CARD.md``. Only the LoRA factors
(float16), the head, the thresholds and the competence-gate prototypes ship
(``data/risk_reader_lora.npz``), checked against :data:`TUNED_SHA256` on load. At run time the
deltas are merged into the installed base weights (no ``peft``), and the merged transformer runs
in onnxruntime, exported once per machine into the model cache and checked against torch on a
probe sentence like :mod:`theraloop.memory._onnx`; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from theraloop.agent.safety.classifier import CLASS_MAP, ClassifierReading
from theraloop.agent.safety.reader import gated_probabilities, read_in_windows
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "LORA_TARGETS",
    "TUNED_SHA256",
    "TunedRiskReader",
    "TunedWeights",
    "base_model_path",
    "tuned_digest",
]

LORA_TARGETS: tuple[str, ...] = ("query", "value")
"""The attention projections (of every layer) that carry LoRA deltas."""

TUNED_SHA256 = "a606ae7cadc4fddbca502f1cb2991ffc834480cbfc53a7b2ff45a11a0d79010e"
"""sha256 of the shipped weights (:func:`tuned_digest`); the training command prints it."""

_MAX_LENGTH = 128
_log = logging.getLogger(__name__)


def base_model_path() -> Path:
    """Return the installed all-MiniLM-L6-v2 folder the deltas apply to."""
    from theraloop.memory.embeddings import bundled_minilm_path

    return bundled_minilm_path()


@dataclass(frozen=True)
class TunedWeights:
    """The LoRA factors, head, thresholds and gate of the fine-tuned reader."""

    lora_a: np.ndarray
    lora_b: np.ndarray
    lora_scale: float
    head_w: np.ndarray
    head_b: np.ndarray
    classes: tuple[str, ...]
    flag: float
    accept: float
    prototypes: np.ndarray
    min_similarity: float

    def save(self, path: Path) -> None:
        """Write the weights as an uncompressed ``.npz`` (no pickled objects)."""
        import numpy as np

        np.savez(
            path,
            lora_a=self.lora_a.astype(np.float16),
            lora_b=self.lora_b.astype(np.float16),
            head_w=self.head_w.astype(np.float32),
            head_b=self.head_b.astype(np.float32),
            classes=np.array(self.classes),
            targets=np.array(LORA_TARGETS),
            numbers=np.array(
                [self.lora_scale, self.flag, self.accept, self.min_similarity], dtype=np.float64
            ),
            prototypes=self.prototypes.astype(np.float16),
        )

    @classmethod
    def load(
        cls, source: Path | None = None, *, expected_sha256: str | None = None
    ) -> TunedWeights:
        """Read weights and check their sha256.

        Args:
            source: a weights file; ``None`` reads the shipped one, checked against
                :data:`TUNED_SHA256`.
            expected_sha256: the digest ``source`` must have; ``None`` checks nothing for a
                file of your own.

        Raises:
            InvalidInputError: the digest differs from the expected one, or the file's adapters
                are not on :data:`LORA_TARGETS`.
        """
        import numpy as np

        if source is None:
            ref = resources.files("theraloop.agent.safety").joinpath("data/risk_reader_lora.npz")
            with resources.as_file(ref) as path:
                return cls.load(path, expected_sha256=TUNED_SHA256)
        weights = cls._read(np.load(source, allow_pickle=False))
        digest = tuned_digest(weights)
        if expected_sha256 is not None and digest != expected_sha256:
            raise InvalidInputError(
                f"{source} has sha256 {digest}, expected {expected_sha256}; reinstall theraloop "
                "or retrain with `python -m theraloop.agent.safety.training.lora` and update "
                "theraloop.agent.safety.reader_lora.TUNED_SHA256"
            )
        return weights

    @classmethod
    def _read(cls, data: Any) -> TunedWeights:
        targets = tuple(str(t) for t in data["targets"])
        if targets != LORA_TARGETS:
            raise InvalidInputError(f"LoRA weights on {targets!r}, expected {LORA_TARGETS!r}")
        scale, flag, accept, min_similarity = (float(v) for v in data["numbers"])
        return cls(
            lora_a=data["lora_a"],
            lora_b=data["lora_b"],
            lora_scale=scale,
            head_w=data["head_w"],
            head_b=data["head_b"],
            classes=tuple(str(c) for c in data["classes"]),
            flag=flag,
            accept=accept,
            prototypes=data["prototypes"],
            min_similarity=min_similarity,
        )


def tuned_digest(weights: TunedWeights) -> str:
    """Return the sha256 of the weights' arrays, class names and numbers."""
    import numpy as np

    digest = hashlib.sha256()
    for array in (weights.lora_a, weights.lora_b, weights.prototypes):
        digest.update(np.ascontiguousarray(array, dtype="<f2").tobytes())
    for array in (weights.head_w, weights.head_b):
        digest.update(np.ascontiguousarray(array, dtype="<f4").tobytes())
    digest.update("|".join(weights.classes).encode())
    digest.update("|".join(LORA_TARGETS).encode())
    numbers = (weights.lora_scale, weights.flag, weights.accept, weights.min_similarity)
    digest.update("|".join(f"{v:.9f}" for v in numbers).encode())
    return digest.hexdigest()


class _Encoder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        """Return unit vectors, one row per text."""
        ...


class _TorchEncoder:
    """Mean-pooled, normalised vectors from the merged torch transformer (onnxruntime fallback)."""

    def __init__(self, tokenizer: Any, transformer: Any) -> None:
        self._tokenizer = tokenizer
        self._transformer = transformer
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        import numpy as np
        import torch

        rows = []
        with self._lock, torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = self._tokenizer(
                    list(texts[start : start + batch_size]),
                    truncation=True,
                    max_length=_MAX_LENGTH,
                    padding=True,
                    return_tensors="pt",
                )
                hidden = self._transformer(**batch).last_hidden_state
                mask = batch["attention_mask"][..., None].to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                rows.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
        return np.concatenate(rows).astype(np.float32)


def merged_transformer(weights: TunedWeights) -> tuple[Any, Any]:
    """Return (tokenizer, transformer): the installed MiniLM with the LoRA deltas merged in."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    layers = model.encoder.layer
    if weights.lora_a.shape[:2] != (len(layers), len(LORA_TARGETS)):
        raise InvalidInputError(
            f"LoRA factors of shape {weights.lora_a.shape!r} do not fit {len(layers)} layers"
        )
    with torch.no_grad():
        for i, layer in enumerate(layers):
            for j, target in enumerate(LORA_TARGETS):
                linear = getattr(layer.attention.self, target)
                a = torch.from_numpy(weights.lora_a[i, j].astype("float32"))
                b = torch.from_numpy(weights.lora_b[i, j].astype("float32"))
                linear.weight += weights.lora_scale * (b @ a)
    return tokenizer, model


class TunedRiskReader:
    """Self-directed risk (and the other categories) read by the fine-tuned MiniLM.

    It needs no embedder (it runs its own transformer) and has the interface of
    :class:`theraloop.agent.safety.reader.LearnedRiskReader`: per-window readings of each
    sentence and of short messages whole, its own ``band`` (flag, accept) and competence gate.

    Args:
        weights: weights to use; ``None`` loads the shipped, hash-checked file on first use.
        backend: ``"onnx"`` (export the merged model once per machine), ``"torch"``, or
            ``"auto"``: onnx, falling back to torch with a warning.
    """

    def __init__(self, weights: TunedWeights | None = None, *, backend: str = "auto") -> None:
        if backend not in ("auto", "onnx", "torch"):
            raise InvalidInputError(f"backend must be 'auto', 'onnx' or 'torch', got {backend!r}")
        self._weights = weights
        self._backend = backend
        self._encoder: _Encoder | None = None
        self._lock = threading.Lock()
        self.classes: tuple[str, ...] = tuple(CLASS_MAP)

    @property
    def band(self) -> tuple[float, float]:
        """Return ``(flag, accept)``: the thresholds on self-directed risk."""
        weights, _ = self._loaded()
        return weights.flag, weights.accept

    def fit(self) -> None:
        """Load (and check) the weights and build the transformer now, not on the first message."""
        self._loaded()

    def _loaded(self) -> tuple[TunedWeights, _Encoder]:
        with self._lock:
            if self._weights is None:
                self._weights = TunedWeights.load()
            if self._weights.classes != self.classes:
                raise InvalidInputError(
                    f"risk reader weights have classes {self._weights.classes!r}, "
                    f"expected {self.classes!r}"
                )
            if self._encoder is None:
                self._encoder = self._build(self._weights)
            return self._weights, self._encoder

    def _build(self, weights: TunedWeights) -> _Encoder:
        tokenizer, transformer = merged_transformer(weights)
        torch_encoder = _TorchEncoder(tokenizer, transformer)
        if self._backend == "torch":
            return torch_encoder
        try:
            from theraloop.memory._onnx import OnnxMiniLM

            return OnnxMiniLM(
                tokenizer,
                transformer,
                lambda text: torch_encoder.encode([text])[0],
                _MAX_LENGTH,
                base_model_path(),
                export_name=f"risk-reader-lora-{tuned_digest(weights)[:16]}",
            )
        except (ImportError, RuntimeError) as exc:
            if self._backend == "onnx":
                raise
            _log.warning("fine-tuned risk reader runs in torch (onnxruntime unusable: %s)", exc)
            return torch_encoder

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return class probabilities for each text."""
        import numpy as np

        if not texts:
            return []
        weights, encoder = self._loaded()
        x = np.asarray(encoder.encode(list(texts)), dtype=np.float32)
        logits = x @ weights.head_w + weights.head_b
        return gated_probabilities(
            logits, x, weights.prototypes, weights.min_similarity, self.classes
        )

    def read_many(self, texts: Sequence[str]) -> list[list[ClassifierReading]]:
        """Return per-window readings for each text, all windows encoded in one batch."""
        return read_in_windows(texts, self.predict_proba)
