"""Embedders: the real offline MiniLM model and the deterministic hashing stand-in."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from memory import Embedder, HashingEmbedder, InvalidInputError, MiniLMEmbedder


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_importing_memory_loads_no_heavy_library():
    code = (
        "import sys, memory, memory.inspect; "
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
