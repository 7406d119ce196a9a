"""all-MiniLM-L6-v2 run by onnxruntime: torch's vectors (to 1e-6), about 3x faster per query.

The transformer is exported from the installed weights once per machine (a few seconds) into the
model cache, ``$THERALOOP_CACHE_DIR`` or ``~/.cache/theraloop/models``; nothing is downloaded.
Every load checks the session against torch on a probe sentence, so a stale or damaged export is
rebuilt instead of silently giving other vectors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from theraloop.memory.cache import default_cache_dir

__all__ = ["OnnxMiniLM"]

_log = logging.getLogger(__name__)
_PROBE = "I slept badly again and kept thinking about work."
_TOLERANCE = 1e-4
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _export_key(model_dir: Path) -> str:
    """Name the export after the weights it came from (file sizes and times, config text)."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and path.suffix in (".safetensors", ".bin", ".json"):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(model_dir)}|{stat.st_size}|{stat.st_mtime_ns}|".encode()
            )
    import torch

    digest.update(torch.__version__.encode())
    return digest.hexdigest()[:16]


class OnnxMiniLM:
    """Mean-pooled, normalised BERT sentence vectors from an onnxruntime session.

    Args:
        tokenizer: the sentence-transformers model's tokenizer.
        transformer: its torch transformer, which is exported.
        reference: torch's vector for one text, for the load-time check.
        max_length: the model's maximum sequence length.
        model_dir: the weights folder, which names the export.
        cache_dir: where the export lives; default :func:`default_cache_dir`.
        threads: onnxruntime intra-op threads (0: onnxruntime's default).
        export_name: the export's file name stem (another name for changed weights, such as the
            risk reader's fine-tuned MiniLM).

    Raises:
        ImportError: onnxruntime or onnx is missing.
        RuntimeError: the export fails or does not reproduce torch's vector.
    """

    def __init__(
        self,
        tokenizer: Any,
        transformer: Any,
        reference: Callable[[str], Sequence[float]],
        max_length: int,
        model_dir: Path,
        *,
        cache_dir: Path | None = None,
        threads: int = 1,
        export_name: str = "all-minilm-l6-v2",
    ) -> None:
        import onnxruntime

        self._tokenizer = tokenizer
        self._max_length = max_length
        self._lock = threading.Lock()
        directory = cache_dir if cache_dir is not None else default_cache_dir()
        self.path = directory / f"{export_name}-{_export_key(model_dir)}.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        import numpy as np

        expected = np.asarray(reference(_PROBE), dtype=np.float32)
        problem = ""
        for attempt in range(2):
            if attempt or not self.path.is_file():
                _export(transformer, tokenizer, self.path)
            try:
                self._session = onnxruntime.InferenceSession(
                    str(self.path), options, providers=["CPUExecutionProvider"]
                )
                gap = float(abs(self.encode([_PROBE])[0] - expected).max())
            except Exception as exc:  # a damaged file: export again once
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if gap <= _TOLERANCE:
                    return
                problem = f"differs from torch by {gap:.2g} on a probe sentence"
            _log.warning("ONNX export %s unusable (%s); exporting it again", self.path, problem)
        raise RuntimeError(f"the ONNX export {str(self.path)!r} is unusable: {problem}")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        """Return unit vectors (float32 array, one row per text, in order)."""
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        rows: list[Any] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            with self._lock:
                batch = self._tokenizer(
                    [texts[i] for i in chunk],
                    truncation=True,
                    max_length=self._max_length,
                    padding=True,
                    return_tensors="np",
                )
                feeds = {name: batch[name].astype(np.int64) for name in _INPUTS if name in batch}
                tokens = self._session.run(None, feeds)[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            for i, row in zip(chunk, pooled / np.clip(norms, 1e-12, None), strict=True):
                rows[i] = row
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)


def _export(transformer: Any, tokenizer: Any, target: Path) -> None:
    """Export the transformer to ``target`` atomically (concurrent exporters each finish)."""
    import torch

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a short sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _LastHiddenState(transformer).eval(),
                tuple(sample[name] for name in _INPUTS),
                tmp,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
