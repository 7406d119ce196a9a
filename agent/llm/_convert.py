"""Pure conversions between LangChain messages and llama.cpp's OpenAI-shaped payloads.

Every path of :class:`~theraloop.agent.llm.ChatLlamaCpp` (invoke, stream, tools, structured output)
goes through :func:`completion_to_chunk`, so a response and a stream chunk can never be
turned into messages in two slightly different ways.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCall, invalid_tool_call, tool_call
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from theraloop.agent.llm.errors import ModelConfigError

__all__ = [
    "ToolMode",
    "PROVIDER",
    "message_text",
    "to_llama_messages",
    "completion_to_chunk",
    "make_usage",
    "schema_to_json_schema",
    "forced_tool_schema",
    "extract_text_tool_calls",
]

PROVIDER = "llamacpp"
"""Provider name reported in ``response_metadata`` and tracing params."""

ToolMode = Literal["forced", "auto"]
"""How a completion carries tool calls: a grammar-forced JSON call, or Qwen/Hermes tags."""

_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_FENCED_JSON = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL)


_SKIPPED_BLOCKS = frozenset(
    {"tool_use", "tool_call", "tool_call_chunk", "function_call", "reasoning", "thinking"}
)
"""Block types dropped from content: tool calls travel in ``tool_calls``, reasoning is not
sent back to a model."""


def message_text(content: str | list[str | dict[str, Any]]) -> str:
    """Return the text of a message's content, refusing media blocks.

    Raises:
        ModelConfigError: The content holds images, audio or files; the local model is text-only.
    """
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") in _SKIPPED_BLOCKS:
            continue
        else:
            raise ModelConfigError(
                f"content block of type {block.get('type')!r} is not supported by the local "
                "llama.cpp model (text only); send text, or use an 'openai:'/'ollama:' model"
            )
    return "".join(texts)


def to_llama_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert LangChain messages to the role/content dicts a chat template renders.

    Raises:
        ModelConfigError: A message type or content block cannot be rendered.
    """
    converted: list[dict[str, Any]] = []
    for message in messages:
        text = message_text(message.content)
        if isinstance(message, SystemMessage):
            converted.append({"role": "system", "content": text})
        elif isinstance(message, HumanMessage):
            converted.append({"role": "user", "content": text})
        elif isinstance(message, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "content": text}
            if message.tool_calls:
                # Templates render arguments with ``tojson``; a dict keeps them un-escaped.
                entry["tool_calls"] = [
                    {
                        "id": call.get("id") or "",
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["args"]},
                    }
                    for call in message.tool_calls
                ]
            converted.append(entry)
        elif isinstance(message, ToolMessage):
            converted.append(
                {"role": "tool", "content": text, "tool_call_id": message.tool_call_id}
            )
        elif isinstance(message, FunctionMessage):
            converted.append({"role": "tool", "content": text})
        elif isinstance(message, ChatMessage):
            converted.append({"role": message.role, "content": text})
        else:
            raise ModelConfigError(
                f"cannot send a {type(message).__name__} to a chat template; use System, "
                "Human, AI or Tool messages"
            )
    return converted


def make_usage(input_tokens: int, output_tokens: int, cache_read: int = 0) -> UsageMetadata:
    """Return LangChain usage metadata; ``cache_read`` counts prompt tokens reused from the KV."""
    return UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        input_token_details={"cache_read": cache_read},
    )


def completion_to_chunk(
    payload: Mapping[str, Any],
    *,
    model_name: str,
    usage: UsageMetadata | None = None,
    tool_mode: ToolMode | None = None,
    tool_names: Collection[str] = (),
) -> ChatGenerationChunk:
    """Turn one llama.cpp completion payload (a whole response or a stream chunk) into a chunk.

    A payload with a ``finish_reason`` is the last one: it carries the response metadata, the
    usage and ``chunk_position="last"``. Metadata is put on that chunk only, because adding
    chunks concatenates string metadata.

    Args:
        payload: ``create_completion`` output: ``{"id", "choices": [{"text", "finish_reason"}]}``.
        model_name: Name reported as ``response_metadata["model_name"]``.
        usage: Token usage to attach to the last chunk.
        tool_mode: ``"forced"`` when the text is a grammar-forced ``{"name", "arguments"}``
            object, ``"auto"`` when the model may have written tool calls into its text; only
            valid on a whole (non-streamed) response.
        tool_names: The bound tools; in ``auto`` mode a bare JSON call must name one of them.
    """
    choice = payload["choices"][0]
    text = choice.get("text") or ""
    finish_reason = choice.get("finish_reason")
    calls: list[ToolCall | InvalidToolCall] = []
    if tool_mode == "forced":
        calls = [_parse_call(text, truncated=finish_reason == "length")]
        text = ""
    elif tool_mode == "auto":
        text, calls = extract_text_tool_calls(text, tool_names)
    last = finish_reason is not None
    metadata: dict[str, Any] = {}
    if last:
        metadata = {
            "model_name": model_name,
            "model_provider": PROVIDER,
            "finish_reason": (
                "tool_calls"
                if finish_reason == "stop" and any(c["type"] == "tool_call" for c in calls)
                else finish_reason
            ),
        }
    message = AIMessageChunk(
        content=text,
        id=payload.get("id"),
        response_metadata=metadata,
        usage_metadata=usage if last else None,
        tool_calls=[c for c in calls if c["type"] == "tool_call"],
        invalid_tool_calls=[c for c in calls if c["type"] == "invalid_tool_call"],
        chunk_position="last" if last else None,
    )
    info = {"finish_reason": metadata["finish_reason"]} if last else None
    return ChatGenerationChunk(message=message, generation_info=info)


def extract_text_tool_calls(
    text: str, tool_names: Collection[str] = ()
) -> tuple[str, list[ToolCall | InvalidToolCall]]:
    """Split tool calls that a model wrote into its reply text from the rest of the text.

    Two shapes are recognised: ``<tool_call>{"name": ..., "arguments": ...}</tool_call>``
    blocks (the Qwen2.5 / Hermes chat-template format) anywhere in the text, and a reply that
    is nothing but such a JSON object, optionally in a json code fence (what the Qwen2.5-Coder
    models write), when its name is one of ``tool_names``.
    """
    tagged = [_parse_call(match.group(1)) for match in _TOOL_CALL_TAG.finditer(text)]
    if tagged:
        return _TOOL_CALL_TAG.sub("", text).strip(), tagged
    fenced = _FENCED_JSON.fullmatch(text.strip())
    candidate = fenced.group(1) if fenced else text.strip()
    if tool_names and candidate.startswith("{"):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            return text, []
        if isinstance(data, dict) and data.get("name") in tool_names:
            return "", [_parse_call(candidate)]
    return text, []


def _parse_call(raw: str, *, truncated: bool = False) -> ToolCall | InvalidToolCall:
    """Parse ``{"name": ..., "arguments": {...}}``; anything else is an invalid tool call."""
    call_id = f"call_{uuid.uuid4().hex[:24]}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        reason = "the reply hit max_tokens" if truncated else f"invalid JSON: {error}"
        return invalid_tool_call(name=None, args=raw, id=call_id, error=reason)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return invalid_tool_call(name=None, args=raw, id=call_id, error="no tool name")
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            pass
    if not isinstance(arguments, dict):
        return invalid_tool_call(
            name=data["name"], args=raw, id=call_id, error="arguments are not a JSON object"
        )
    return tool_call(name=data["name"], args=arguments, id=call_id)


def schema_to_json_schema(schema: dict[str, Any] | type) -> dict[str, Any]:
    """Return the JSON schema of a pydantic model, TypedDict, OpenAI tool or JSON-schema dict.

    Raises:
        ModelConfigError: ``schema`` is none of those.
    """
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    if is_basemodel_subclass(schema):  # a pydantic.v1 model
        return convert_to_json_schema(schema)
    if isinstance(schema, dict) and ("properties" in schema or "type" in schema):
        if schema.get("type") == "function" and "function" in schema:
            return convert_to_json_schema(schema)
        return schema
    try:
        return convert_to_json_schema(schema)
    except (ValueError, TypeError) as error:
        raise ModelConfigError(
            f"cannot build a JSON schema from {schema!r}; pass a pydantic model, a TypedDict, "
            "an OpenAI tool dict or a JSON-schema dict"
        ) from error


def forced_tool_schema(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a JSON schema matching one ``{"name", "arguments"}`` call of any of ``tools``."""
    alternatives = []
    for tool in tools:
        function = tool["function"]
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        alternatives.append(
            {
                "type": "object",
                "properties": {"name": {"const": function["name"]}, "arguments": parameters},
                "required": ["name", "arguments"],
            }
        )
    return alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}
