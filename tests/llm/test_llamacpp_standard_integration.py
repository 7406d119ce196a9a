"""LangChain's standard integration suite on the real 0.5B model (slow).

Capability flags are honest: text only (no images, audio, PDF), tool calling and tool choice
through grammars and Qwen's ``<tool_call>`` tags, structured output and JSON mode through
grammars, exact usage on invoke and stream. Tests that need more than a 0.5B model can give
are marked xfail with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from theraloop.agent.llm import ChatLlamaCpp, ModelPool, ensure_gguf

pytestmark = [
    pytest.mark.slow,
    # The suite's async tests are plain ``async def``; mark them here so they run under
    # pytest-asyncio's strict mode too (the mark is a no-op on the sync tests).
    pytest.mark.asyncio,
    pytest.mark.filterwarnings(
        "ignore:.*marked with '@pytest.mark.asyncio' but it is not an async"
    ),
]

_POOL = ModelPool()


@pytest.fixture(autouse=True, scope="module")
def _close_pool() -> Iterator[None]:
    yield
    _POOL.close()


class TestChatLlamaCppIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatLlamaCpp]:
        return ChatLlamaCpp

    @property
    def chat_model_params(self) -> dict:
        pytest.importorskip("llama_cpp", reason="llama-cpp-python (theraloop[local]) not installed")
        return {
            "model_path": str(ensure_gguf("local-small")),
            "pool": _POOL,
            "n_ctx": 2048,
            "max_tokens": 80,  # a forced call with Japanese arguments needs about 50
            "temperature": 0.0,
            "n_threads": int(os.environ.get("THERALOOP_TEST_LLM_THREADS", "2")),
        }

    @property
    def supports_json_mode(self) -> bool:
        return True
