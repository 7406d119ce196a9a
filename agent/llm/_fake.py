"""The scripted chat model behind the ``"fake"`` model spec: deterministic replies, no weights.

It lives in the model layer because :func:`~theraloop.agent.llm.make_chat_model` serves it in
production (``Settings(therapist_model="fake")``, ``simulations --model fake``);
:mod:`theraloop.agent.testing` re-exports it with the other test doubles.

Example:
    >>> from pydantic import BaseModel
    >>> class Mood(BaseModel):
    ...     label: str
    >>> model = ScriptedChatModel(responses=["Hello.", {"label": "calm"}])
    >>> model.invoke("hi").content
    'Hello.'
    >>> model.with_structured_output(Mood).invoke("how do I feel?")
    Mood(label='calm')
    >>> len(model.calls)
    2
"""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, ConfigDict, PrivateAttr, SkipValidation, model_validator

from theraloop.memory.errors import TheraloopError

__all__ = [
    "Scripted",
    "Responder",
    "RecordedCall",
    "ScriptedChatModel",
    "ScriptExhaustedError",
    "NEUTRAL_REPLY",
    "neutral_responder",
    "minimal_instance",
]


Scripted: TypeAlias = str | dict[str, Any] | BaseModel | AIMessage
"""One scripted reply: text, a dict or pydantic instance (sent as JSON), or a whole AIMessage
(use it to script ``tool_calls``)."""

Responder: TypeAlias = Callable[..., Scripted]
"""``fn(messages)`` or ``fn(messages, schema)`` returning a :data:`Scripted` reply; ``schema``
is the structured-output schema, or ``None`` for a plain call."""

NEUTRAL_REPLY = "I hear you. Could you tell me a little more about what that has been like?"
"""The reply of :func:`neutral_responder` (and of the ``"fake"`` model spec) to plain calls."""

_WORDS = re.compile(r"\s*\S+\s*|\s+")
_SCHEMA_KWARG = "structured_schema"


class ScriptExhaustedError(TheraloopError, RuntimeError):
    """A :class:`ScriptedChatModel` was called more often than it has scripted replies."""


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One call a scripted model received."""

    messages: tuple[BaseMessage, ...]
    """The messages, as the model saw them."""
    schema: dict[str, Any] | type | None
    """The structured-output schema, or ``None`` for a plain call."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Other call options (``stop``, ``tools``...)."""

    @property
    def prompt(self) -> str:
        """The text of all messages joined by newlines, handy for ``in`` assertions."""
        return "\n".join(m.text for m in self.messages)


class ScriptedChatModel(BaseChatModel):
    """A deterministic chat model that replies from a script, for tests and offline demos.

    Replies come from ``responses``: a list used in order (when it runs out, the model raises
    :class:`ScriptExhaustedError`, or starts over with ``cycle=True``), or a :data:`Responder`
    callable that sees each call's messages (and the schema on structured calls).

    - ``with_structured_output(schema)`` returns a runnable that validates the scripted reply
      (a JSON string, a dict or an instance) into ``schema``; a reply that does not fit raises
      ``OutputParserException``, exactly like a real model's bad JSON.
    - ``stream`` splits the reply into word chunks; ``stop`` cuts the reply at a stop sequence.
    - ``bind_tools`` returns the model itself; script an ``AIMessage(tool_calls=...)`` reply.
    - Every call is recorded in :attr:`calls`.

    Example:
        >>> model = ScriptedChatModel(responses=lambda messages: messages[-1].text.upper())
        >>> model.invoke("echo me").content
        'ECHO ME'
    """

    model_config = ConfigDict(extra="forbid")

    responses: Annotated[Sequence[Scripted] | Responder, SkipValidation]
    """Scripted replies in order, or a responder callable."""
    cycle: bool = False
    """Start the list over when it runs out instead of raising."""
    model: str = "scripted"
    """Model name reported in response metadata and traces."""

    _cursor: int = PrivateAttr(default=0)
    _calls: list[RecordedCall] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _check_responses(self) -> ScriptedChatModel:
        if callable(self.responses):
            return self
        if isinstance(self.responses, str | bytes) or not isinstance(self.responses, Sequence):
            raise TypeError(
                f"responses must be a list of replies or a callable, got {self.responses!r}"
            )
        self.responses = tuple(self.responses)
        if not self.responses:
            raise ValueError("responses is empty; script at least one reply")
        return self

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="scripted",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
        )
        if stop:
            params["ls_stop"] = stop
        return params

    @property
    def calls(self) -> list[RecordedCall]:
        """The calls received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    def reset(self) -> None:
        """Forget recorded calls and start the script from the top."""
        with self._lock:
            self._calls.clear()
            self._cursor = 0

    # ----------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._reply(messages, stop, kwargs)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._reply(messages, stop, kwargs)
        pieces = _WORDS.findall(message.text) or [""]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=piece,
                    id=message.id,
                    response_metadata=message.response_metadata if last else {},
                    usage_metadata=message.usage_metadata if last else None,
                    tool_call_chunks=[
                        tool_call_chunk(
                            name=call["name"],
                            args=json.dumps(call["args"]),
                            id=call["id"],
                            index=i,
                        )
                        for i, call in enumerate(message.tool_calls)
                    ]
                    if last
                    else [],
                    chunk_position="last" if last else None,
                )
            )
            if run_manager and piece:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def _reply(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> AIMessage:
        schema = kwargs.pop(_SCHEMA_KWARG, None)
        kwargs.pop("stream", None)
        options = dict(kwargs)
        if stop:
            options["stop"] = list(stop)
        with self._lock:
            self._calls.append(RecordedCall(tuple(messages), schema, options))
            scripted = self._next(messages, schema)
        message = _as_message(scripted)
        text = message.text
        if stop and isinstance(message.content, str):
            cut = min((text.find(s) for s in stop if s and s in text), default=-1)
            if cut >= 0:
                text = text[:cut]
        return AIMessage(
            content=text if isinstance(message.content, str) else message.content,
            tool_calls=message.tool_calls,
            id=message.id,
            response_metadata={
                "model_name": self.model,
                "model_provider": "scripted",
                "finish_reason": "tool_calls" if message.tool_calls else "stop",
            },
            usage_metadata=_usage(messages, text),
        )

    def _next(self, messages: list[BaseMessage], schema: Any) -> Scripted:
        """Return the next scripted reply (caller holds the lock)."""
        if callable(self.responses):
            if _takes_two_arguments(self.responses):
                return self.responses(list(messages), schema)
            return self.responses(list(messages))
        replies = self.responses
        if self._cursor >= len(replies):
            if not self.cycle:
                raise ScriptExhaustedError(
                    f"ScriptedChatModel ran out of replies after {len(replies)} calls; script "
                    "more responses, pass cycle=True, or use a responder callable"
                )
            self._cursor = 0
        reply = replies[self._cursor]
        self._cursor += 1
        return reply

    # ----------------------------------------------------------------- tools and schemas

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return the model itself: tool calls are scripted as ``AIMessage(tool_calls=...)``."""
        return self

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable that validates the scripted reply into ``schema``.

        ``method`` and ``strict`` are accepted and ignored, as every scripted reply is exact.
        """
        return _structured(self, schema, include_raw=include_raw, **kwargs)


def neutral_responder(messages: Sequence[BaseMessage], schema: Any = None) -> Scripted:
    """Reply :data:`NEUTRAL_REPLY`, or the smallest valid instance of a structured ``schema``."""
    if schema is None:
        return NEUTRAL_REPLY
    return minimal_instance(schema)


def minimal_instance(schema: dict[str, Any] | type) -> dict[str, Any] | BaseModel:
    """Return the simplest value that validates against ``schema`` (defaults where they exist).

    Literals and enums take their first value, numbers their lower bound, strings their
    minimum length of ``"x"``, lists their minimum length; optional fields are left out.

    Raises:
        ValueError: ``schema`` has a shape this helper cannot fill; script the reply instead.
    """
    is_model = isinstance(schema, type) and issubclass(schema, BaseModel)
    json_schema = schema.model_json_schema() if is_model else convert_to_json_schema(schema)
    value = _minimal(json_schema, json_schema.get("$defs", {}))
    if is_model:
        return schema.model_validate(value)  # type: ignore[union-attr]
    return value


def _minimal(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if "$ref" in node:
        return _minimal(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "default" in node:
        return node["default"]
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = node[key]
            if any(o.get("type") == "null" for o in options):
                return None
            return _minimal(options[0], defs)
    if "allOf" in node:
        return _minimal(node["allOf"][0], defs)
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = "null" if "null" in kind else kind[0]
    if kind == "object":
        props = node.get("properties", {})
        return {name: _minimal(props[name], defs) for name in node.get("required", [])}
    if kind == "array":
        return [_minimal(node.get("items", {}), defs) for _ in range(node.get("minItems", 0))]
    if kind == "string":
        return "x" * node.get("minLength", 0)
    if kind in ("integer", "number"):
        step = 1 if kind == "integer" else 1e-6
        if "minimum" in node:
            value = node["minimum"]
        elif "exclusiveMinimum" in node:
            value = node["exclusiveMinimum"] + step
        elif "maximum" in node and node["maximum"] < 0:
            value = node["maximum"]
        elif "exclusiveMaximum" in node and node["exclusiveMaximum"] <= 0:
            value = node["exclusiveMaximum"] - step
        else:
            value = 0
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise ValueError(f"cannot build a minimal value for schema node {node!r}; script the reply")


def _structured(
    model: BaseChatModel, schema: dict[str, Any] | type, *, include_raw: bool, **kwargs: Any
) -> Runnable[LanguageModelInput, Any]:
    """Bind ``schema`` into the call and parse the scripted reply with it."""
    kwargs.pop("method", None)
    kwargs.pop("strict", None)
    if kwargs:
        raise ValueError(f"with_structured_output got unsupported arguments {kwargs!r}")
    llm = model.bind(
        **{_SCHEMA_KWARG: schema},
        ls_structured_output_format={"kwargs": {"method": "scripted"}, "schema": schema},
    )
    parser = RunnableLambda(lambda message: _parse(message, schema))
    if not include_raw:
        return llm | parser
    parse = RunnablePassthrough.assign(
        parsed=lambda x: _parse(x["raw"], schema), parsing_error=lambda _: None
    )
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([fallback], exception_key="parsing_error")


def _parse(message: BaseMessage, schema: dict[str, Any] | type) -> Any:
    text = message.text
    try:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate_json(text)
        return json.loads(text)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise OutputParserException(
            f"scripted reply does not fit {getattr(schema, '__name__', 'the schema')}: {error}",
            llm_output=text,
        ) from error


def _as_message(scripted: Scripted) -> AIMessage:
    if isinstance(scripted, AIMessage):
        return scripted
    if isinstance(scripted, str):
        return AIMessage(content=scripted)
    if isinstance(scripted, BaseModel):
        return AIMessage(content=scripted.model_dump_json())
    if isinstance(scripted, dict):
        return AIMessage(content=json.dumps(scripted, ensure_ascii=False, default=str))
    raise TypeError(
        f"a scripted reply must be str, dict, pydantic model or AIMessage, got {scripted!r}"
    )


def _usage(messages: Sequence[BaseMessage], text: str) -> UsageMetadata:
    """Approximate usage in words, so token accounting code has numbers to add up."""
    prompt = sum(len(m.text.split()) for m in messages)
    output = len(text.split())
    return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)


def _takes_two_arguments(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)
