"""invoke_with_timeout: any runnable's call is bounded; errors and context pass through."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from langchain_core.runnables import RunnableLambda

from theraloop.agent.llm import ModelTimeoutError, invoke_with_timeout
from theraloop.agent.testing import ScriptedChatModel
from theraloop.memory.errors import TheraloopError

REQUEST = contextvars.ContextVar("REQUEST", default="none")


def test_a_call_within_the_timeout_returns_its_result() -> None:
    model = ScriptedChatModel(responses=["Hello."])
    assert invoke_with_timeout(model, "hi", timeout_s=5.0).content == "Hello."


def test_a_call_past_the_timeout_is_abandoned_with_a_model_timeout_error() -> None:
    release = threading.Event()
    stalled = RunnableLambda(lambda x: release.wait(30) or x)
    started = time.perf_counter()
    try:
        with pytest.raises(ModelTimeoutError, match="0.2 s") as caught:
            invoke_with_timeout(stalled, "x", timeout_s=0.2)
    finally:
        release.set()
    assert time.perf_counter() - started < 5
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, TheraloopError)


def test_an_error_raised_in_time_is_the_callers_own_error() -> None:
    def fail(_: str) -> str:
        raise ConnectionError("connection refused")

    with pytest.raises(ConnectionError, match="refused"):
        invoke_with_timeout(RunnableLambda(fail), "x", timeout_s=5.0)


def test_the_call_sees_the_callers_context_variables() -> None:
    token = REQUEST.set("turn-7")
    try:
        assert invoke_with_timeout(RunnableLambda(lambda _: REQUEST.get()), "x", timeout_s=5) == (
            "turn-7"
        )
    finally:
        REQUEST.reset(token)


def test_no_timeout_calls_in_the_callers_thread() -> None:
    here = threading.get_ident()
    assert (
        invoke_with_timeout(RunnableLambda(lambda _: threading.get_ident()), 0, timeout_s=None)
        == here
    )
