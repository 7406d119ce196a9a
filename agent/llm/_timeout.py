"""Bound the wall time of one model call, whatever the model or runnable.

Providers stop their own work where they can (:func:`theraloop.agent.llm.make_chat_model` passes the
timeout to llama.cpp's decoder and to the HTTP clients of Ollama and OpenAI-compatible servers).
This is the bound that holds for every model, including injected ones: the call runs in a worker
thread and the caller stops waiting at the deadline. A Python thread cannot be killed, so an
abandoned call finishes (or fails) in the background and its result is dropped.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future
from typing import Any, TypeVar

from langchain_core.runnables import Runnable

from theraloop.agent.llm.errors import ModelTimeoutError

__all__ = ["invoke_with_timeout"]

Output = TypeVar("Output")


def invoke_with_timeout(
    runnable: Runnable[Any, Output], input: Any, *, timeout_s: float | None, **kwargs: Any
) -> Output:
    """Return ``runnable.invoke(input, **kwargs)``, or raise if it takes over ``timeout_s`` s.

    The call keeps the caller's context variables (LangGraph's run config and callbacks), so
    token streaming through ``stream_mode="messages"`` and tracing see it as usual. ``None``
    means no bound.

    Raises:
        ModelTimeoutError: no answer within ``timeout_s``; the call is abandoned.
        Exception: whatever the call itself raised in time.

    Example:
        >>> from langchain_core.runnables import RunnableLambda
        >>> invoke_with_timeout(RunnableLambda(lambda x: x + 1), 1, timeout_s=5.0)
        2
    """
    if timeout_s is None:
        return runnable.invoke(input, **kwargs)
    future: Future[Output] = Future()
    context = contextvars.copy_context()

    def call() -> None:
        try:
            future.set_result(context.run(runnable.invoke, input, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    # a daemon thread: a call that never returns must not keep the process alive at exit
    threading.Thread(target=call, name="theraloop-model-call", daemon=True).start()
    try:
        return future.result(timeout=timeout_s)
    except TimeoutError:
        if not future.done():
            raise ModelTimeoutError(
                f"the model gave no answer within {timeout_s:g} s (model_timeout_s); the call "
                "was abandoned"
            ) from None
        return future.result()  # it finished at the deadline, or raised a TimeoutError itself
