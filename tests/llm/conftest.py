"""Shared fixtures of the model-layer tests: the real small model, loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from theraloop.agent.llm import ChatLlamaCpp, ModelPool, ensure_gguf

TEST_THREADS = int(os.environ.get("THERALOOP_TEST_LLM_THREADS", "2"))
"""llama.cpp threads in the slow tests. On a machine busy with other work, 1 is much faster:
llama.cpp's threads busy-wait for each other, which collapses when cores are oversubscribed."""

SLOW_MODEL_DEFAULTS = {
    "n_ctx": 2048,
    "max_tokens": 24,
    "temperature": 0.0,
    "n_threads": TEST_THREADS,
}
"""Small replies keep the slow suite to a few minutes on two cores."""


@pytest.fixture(scope="session")
def small_gguf() -> Path:
    """Return the assembled Qwen2.5-Coder-0.5B file (skip when llama.cpp is not installed)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (theraloop[local]) not installed")
    return ensure_gguf("local-small")


@pytest.fixture(scope="session")
def model_pool() -> Iterator[ModelPool]:
    """One pool for the session, so the real model loads once."""
    pool = ModelPool()
    yield pool
    pool.close()


@pytest.fixture
def make_small_model(small_gguf: Path, model_pool: ModelPool) -> Callable[..., ChatLlamaCpp]:
    """Build chat models on the real 0.5B weights (shared pool), overriding the defaults."""

    def make(**overrides: Any) -> ChatLlamaCpp:
        params = {**SLOW_MODEL_DEFAULTS, **overrides}
        return ChatLlamaCpp(model_path=small_gguf, pool=model_pool, **params)

    return make


@pytest.fixture
def small_model(make_small_model: Callable[..., ChatLlamaCpp]) -> ChatLlamaCpp:
    """A greedy, short-reply chat model on the real 0.5B weights."""
    return make_small_model()
