"""Test doubles for code built on theraloop: a scripted chat model, a failing one, and re-exports.

Apps that embed theraloop can use these too: they are real LangChain chat models, so they go
through the same ``invoke``/``stream``/``with_structured_output`` paths, callbacks and
tracing as a real model, and they block any real model call by construction. The scripted
model lives in :mod:`theraloop.agent.llm._fake` (the ``"fake"`` model spec serves it); it is
re-exported here so tests import every double from one place (its examples are in
:mod:`theraloop.agent.llm._fake`; :class:`FailingChatModel` has its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ConfigDict, PrivateAttr, SkipValidation

from theraloop.agent.llm._fake import (
    NEUTRAL_REPLY,
    RecordedCall,
    Responder,
    Scripted,
    ScriptedChatModel,
    ScriptExhaustedError,
    minimal_instance,
    neutral_responder,
)
from theraloop.memory.clock import ManualClock

if TYPE_CHECKING:
    from theraloop.memory import HashingEmbedder

__all__ = [
    "Scripted",
    "Responder",
    "RecordedCall",
    "ScriptedChatModel",
    "FailingChatModel",
    "ScriptExhaustedError",
    "NEUTRAL_REPLY",
    "neutral_responder",
    "minimal_instance",
    "ManualClock",
    "HashingEmbedder",
]


class FailingChatModel(BaseChatModel):
    """Raise ``error`` for the first ``failures`` calls, then answer with ``inner``.

    Use it to test retries, fallbacks and fail-closed paths.

    Example:
        >>> flaky = FailingChatModel(
        ...     inner=ScriptedChatModel(responses=["ok"]), error=TimeoutError("slow"), failures=1
        ... )
        >>> flaky.with_retry(stop_after_attempt=2).invoke("hi").content
        'ok'
    """

    model_config = ConfigDict(extra="forbid")

    inner: BaseChatModel
    """The model that answers once the failures are used up."""
    error: Annotated[BaseException | Callable[[], BaseException], SkipValidation]
    """The exception to raise, or a factory making a fresh one per failure."""
    failures: int = 1
    """How many calls fail before ``inner`` takes over (-1: every call fails)."""

    _attempts: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def attempts(self) -> int:
        """Calls received so far, failed or not."""
        return self._attempts

    @property
    def _llm_type(self) -> str:
        return "failing-chat"

    def _gate(self, value: Any = None) -> Any:
        with self._lock:
            self._attempts += 1
            fail = self.failures < 0 or self._attempts <= self.failures
        if fail:
            raise self.error() if callable(self.error) else self.error
        return value

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._gate()
        return self.inner._generate(messages, stop, run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._gate()
        yield from self.inner._stream(messages, stop, run_manager, **kwargs)

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind the tools on ``inner``; the failures still come first."""
        return RunnableLambda(self._gate) | self.inner.bind_tools(
            tools, tool_choice=tool_choice, **kwargs
        )

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Structure with ``inner``; the failures still come first."""
        return RunnableLambda(self._gate) | self.inner.with_structured_output(
            schema, include_raw=include_raw, **kwargs
        )


def __getattr__(name: str) -> Any:
    """Import ``HashingEmbedder`` from ``memory`` on first use (keeps this module light)."""
    if name == "HashingEmbedder":
        from theraloop.memory import HashingEmbedder

        return HashingEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
