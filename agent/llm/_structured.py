"""Structured output that works on servers with different JSON support: negotiate, then validate.

OpenAI-compatible servers differ in what ``response_format`` they take: OpenAI and vLLM accept
``json_schema``; ``llama_cpp.server`` answers HTTP 500 "response_format.type: Input should be
'text' or 'json_object'" and constrains ``json_object`` with a ``schema`` key instead; other
servers take neither. :func:`negotiated_structured_output` tries the provider's methods in order
and, when the server refuses one as unsupported (not a timeout, not a bad answer), moves on for
good and records why (:class:`Negotiation`, and a warning in the log). Methods without a grammar
get the JSON schema in the prompt, and their reply is validated; a reply that does not validate
gets one repair request quoting the error before the call counts as failed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    convert_to_messages,
)
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ValidationError

from theraloop.agent.llm._convert import schema_to_json_schema

__all__ = [
    "StructuredMethod",
    "Negotiation",
    "NegotiatingModel",
    "negotiated_structured_output",
    "parse_json_reply",
]

StructuredMethod = Literal["json_schema", "json_mode", "function_calling", "prompted"]
"""How a structured call is made: the server's JSON-schema mode, its JSON mode (plus the schema
in the prompt), a forced tool call, or plain text with the schema in the prompt."""

_log = logging.getLogger(__name__)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL)


@dataclass
class Negotiation:
    """Which structured-output method a model uses now, and why earlier ones were dropped.

    One instance belongs to one chat model and is shared by all its structured runnables, so a
    server's refusal is learnt once per model, not once per call.
    """

    methods: tuple[StructuredMethod, ...]
    """Methods to try, best first."""
    index: int = 0
    """Position of the method in use."""
    dropped: list[str] = field(default_factory=list)
    """One line per dropped method: the method and the server's refusal (shortened)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def method(self) -> StructuredMethod:
        """The method in use."""
        return self.methods[min(self.index, len(self.methods) - 1)]

    def drop(self, method: StructuredMethod, error: BaseException) -> None:
        """Move past ``method`` (if still current) because the server refused it."""
        with self._lock:
            if self.method != method or self.index >= len(self.methods) - 1:
                return
            self.index += 1
            note = (
                f"{method} refused ({type(error).__name__}: {str(error)[:200]}); now {self.method}"
            )
            self.dropped.append(note)
        _log.warning("structured output: %s", note)


@runtime_checkable
class NegotiatingModel(Protocol):
    """A chat model that negotiates its structured-output method (``openai:`` specs)."""

    @property
    def negotiation(self) -> Negotiation:
        """The method in use and the refusals that led to it."""
        ...


def negotiated_structured_output(
    model: BaseChatModel,
    schema: dict[str, Any] | type,
    *,
    negotiation: Negotiation,
    native: Callable[[StructuredMethod], Runnable[LanguageModelInput, Any]] | None,
    unsupported: Callable[[BaseException], bool],
) -> Runnable[LanguageModelInput, Any]:
    """Return a runnable giving ``schema``-shaped output, negotiating the method per server.

    Args:
        model: The chat model (used as plain text for the ``prompted`` method and repairs).
        schema: A pydantic model class or a JSON-schema dict; output is an instance or a dict.
        negotiation: The model's shared :class:`Negotiation`.
        native: Builds the provider's own structured runnable for a method other than
            ``prompted`` (its prompt gets the schema added for ``json_mode``); ``None`` when
            ``prompted`` is the only method.
        unsupported: Whether an error says the server does not support the method (then the
            next method is tried at once); any other error is raised for the caller to retry.
    """
    if native is None and negotiation.methods != ("prompted",):
        raise ValueError("negotiating methods other than 'prompted' needs a native builder")
    json_schema = schema_to_json_schema(schema)
    instruction = SystemMessage(
        "Reply with only a JSON object that matches this JSON schema, no other text:\n"
        + json.dumps(json_schema, ensure_ascii=False)
    )

    def invoke(value: LanguageModelInput) -> Any:
        messages = _as_messages(value)
        while True:
            method = negotiation.method
            try:
                if method == "prompted":
                    return _prompted(model, [*messages, instruction], schema)
                assert native is not None  # checked above
                prompt = [*messages, instruction] if method == "json_mode" else messages
                return _validated(native(method).invoke(prompt), schema)
            except Exception as exc:
                if method != negotiation.methods[-1] and unsupported(exc):
                    negotiation.drop(method, exc)
                    continue
                raise

    return RunnableLambda(invoke, name=f"structured_{_name(schema)}")


def _prompted(model: BaseChatModel, messages: list[BaseMessage], schema: Any) -> Any:
    """Ask in plain text, validate the JSON in the reply, and ask once more quoting the error."""
    reply = model.invoke(messages)
    try:
        return _validated(parse_json_reply(str(reply.content)), schema)
    except (ValueError, ValidationError) as error:
        repair = HumanMessage(
            f"That reply was not valid ({str(error)[:300]}). Reply again with only the JSON "
            "object, fixed."
        )
        again = model.invoke([*messages, AIMessage(str(reply.content)), repair])
        return _validated(parse_json_reply(str(again.content)), schema)


def parse_json_reply(text: str) -> dict[str, Any]:
    r"""Return the JSON object in a reply: the whole text, a fenced block, or the outer braces.

    Raises:
        ValueError: no JSON object in the text.

    Example:
        >>> parse_json_reply('Sure! ```json\n{"a": 1}\n``` Hope it helps.')
        {'a': 1}
    """
    candidates = [text.strip()]
    candidates += [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            return data
    raise ValueError(f"no JSON object in the reply {text[:120]!r}")


def _validated(value: Any, schema: Any) -> Any:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return value if isinstance(value, schema) else schema.model_validate(value)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _as_messages(value: LanguageModelInput) -> list[BaseMessage]:
    if isinstance(value, str):
        return [HumanMessage(value)]
    if isinstance(value, PromptValue):
        return value.to_messages()
    return convert_to_messages(value if isinstance(value, Sequence) else [value])


def _name(schema: Any) -> str:
    return schema.__name__ if isinstance(schema, type) else str(schema.get("title", "object"))
