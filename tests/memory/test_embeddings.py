"""Embedders: the real offline MiniLM model and the deterministic hashing stand-in."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from theraloop.memory import Embedder, HashingEmbedder, InvalidInputError, MiniLMEmbedder


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_importing_memory_loads_no_heavy_library():
    code = (
        "import sys, theraloop.memory, theraloop.memory.inspect; "
        "print(sorted(m for m in ('chromadb','torch','sentence_transformers','pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hashing_embedder_is_deterministic_and_unit_length():
    e = HashingEmbedder(dim=32)
    a = e.embed_query("I could not sleep")
    b = HashingEmbedder(dim=32).embed_query("I could not sleep")
    assert a == b
    assert len(a) == 32
    assert math.isclose(math.sqrt(_cos(a, a)), 1.0, rel_tol=1e-9)


def test_hashing_embedder_ranks_shared_words_higher():
    e = HashingEmbedder(dim=256)
    q = e.embed_query("sister argument")
    assert _cos(q, e.embed_query("an argument with my sister")) > _cos(
        q, e.embed_query("the weather was lovely")
    )


def test_hashing_embedder_handles_text_without_words():
    vec = HashingEmbedder().embed_query("!!! ???")
    assert math.isclose(_cos(vec, vec), 1.0)


@pytest.mark.parametrize("dim", [0, 7, 5000, 64.0, True])
def test_hashing_embedder_refuses_bad_dimensions(dim):
    with pytest.raises(InvalidInputError):
        HashingEmbedder(dim=dim)


def test_both_embedders_satisfy_the_protocol(minilm):
    assert isinstance(HashingEmbedder(), Embedder)
    assert isinstance(minilm, Embedder)


def test_minilm_gives_384_dimensional_unit_vectors(minilm):
    vecs = minilm.embed_documents(["I feel anxious before exams.", "We adopted a puppy."])
    assert [len(v) for v in vecs] == [384, 384]
    assert all(math.isclose(_cos(v, v), 1.0, rel_tol=1e-4) for v in vecs)
    assert minilm.embed_documents([]) == []


def test_minilm_captures_meaning_beyond_shared_words(minilm):
    q = minilm.embed_query("I am terrified of my exams")
    near = minilm.embed_query("Tests make me really nervous")
    far = minilm.embed_query("We painted the kitchen blue")
    assert _cos(q, near) > _cos(q, far) + 0.2


@pytest.mark.parametrize(
    "text",
    ["Running in the morning clears my head.", "", "x", "word " * 400],
    ids=["sentence", "empty", "one-char", "past-256-tokens"],
)
def test_minilm_query_path_gives_the_document_path_vector(minilm, text):
    """embed_query skips SentenceTransformer.encode's batching; the vector must not change."""
    query, document = minilm.embed_query(text), minilm.embed_documents([text])[0]
    assert max(abs(a - b) for a, b in zip(query, document, strict=True)) < 1e-6


def test_minilm_runs_torch_on_one_thread_by_default(minilm):
    import torch

    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("threads", [0, -2])
def test_minilm_refuses_a_bad_thread_count_before_loading(threads):
    with pytest.raises(InvalidInputError, match="torch_threads"):
        MiniLMEmbedder(torch_threads=threads)


@pytest.fixture(scope="module")
def torch_minilm():
    return MiniLMEmbedder(backend="torch")


TEXTS = [
    "I slept badly again and kept thinking about work.",
    "My sister called, and for once we did not argue about mum.",
    "",
    "ok",
    "word " * 400,
]


def test_minilm_runs_onnx_by_default(minilm):
    assert minilm.backend == "onnx"


def test_onnx_backend_gives_torchs_document_vectors(minilm, torch_minilm):
    got, want = minilm.embed_documents(TEXTS), torch_minilm.embed_documents(TEXTS)
    for a, b in zip(got, want, strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-5


@pytest.mark.parametrize("text", TEXTS[:3])
def test_onnx_backend_gives_torchs_query_vector(minilm, torch_minilm, text):
    got, want = minilm.embed_query(text), torch_minilm.embed_query(text)
    assert max(abs(x - y) for x, y in zip(got, want, strict=True)) < 1e-5


def test_a_damaged_onnx_export_is_rebuilt(tmp_path, monkeypatch, torch_minilm):
    monkeypatch.setenv("THERALOOP_CACHE_DIR", str(tmp_path))
    first = MiniLMEmbedder(backend="onnx")
    first._onnx.path.write_bytes(b"not an onnx graph")
    again = MiniLMEmbedder(backend="onnx")
    assert again.backend == "onnx"
    assert again.embed_query("hello") == pytest.approx(torch_minilm.embed_query("hello"), abs=1e-5)


def test_auto_backend_falls_back_to_torch_when_onnx_fails(monkeypatch, caplog):
    import theraloop.memory.embeddings as embeddings

    def broken(*args, **kwargs):
        raise RuntimeError("no exporter")

    monkeypatch.setattr(embeddings, "OnnxMiniLM", broken)
    e = MiniLMEmbedder()
    assert e.backend == "torch" and len(e.embed_query("still works")) == 384
    assert "onnx backend unavailable" in caplog.text


def test_onnx_backend_when_required_says_how_to_fix_a_failure(monkeypatch):
    import theraloop.memory.embeddings as embeddings
    from theraloop.memory import EmbedderUnavailableError

    monkeypatch.setattr(
        embeddings, "OnnxMiniLM", lambda *a, **k: (_ for _ in ()).throw(ImportError("onnx"))
    )
    with pytest.raises(EmbedderUnavailableError, match="backend='torch'"):
        MiniLMEmbedder(backend="onnx")


def test_minilm_refuses_an_unknown_backend_before_loading():
    with pytest.raises(InvalidInputError, match="backend"):
        MiniLMEmbedder(backend="tensorflow")
