"""The pure conversions shared by every ChatLlamaCpp path."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_chunk_to_message,
)
from pydantic import BaseModel
from typing_extensions import TypedDict

from theraloop.agent.llm import ModelConfigError
from theraloop.agent.llm._convert import (
    completion_to_chunk,
    extract_text_tool_calls,
    forced_tool_schema,
    make_usage,
    schema_to_json_schema,
    to_llama_messages,
)


def _payload(text: str, finish: str | None) -> dict:
    return {"id": "cmpl-1", "choices": [{"text": text, "finish_reason": finish}]}


def test_messages_become_role_dicts_in_order() -> None:
    messages = [
        SystemMessage("sys"),
        HumanMessage("hi"),
        AIMessage("hello"),
        ChatMessage(role="user", content="again"),
    ]
    assert to_llama_messages(messages) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "again"},
    ]


def test_tool_calls_and_results_are_rendered_for_the_template() -> None:
    call = {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}
    converted = to_llama_messages(
        [AIMessage("", tool_calls=[call]), ToolMessage("2", tool_call_id="c1")]
    )
    assert converted[0]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": {"a": 1}}}
    ]
    assert converted[1] == {"role": "tool", "content": "2", "tool_call_id": "c1"}


def test_text_blocks_are_joined_and_images_refused() -> None:
    text = HumanMessage(content=[{"type": "text", "text": "a"}, "b"])
    assert to_llama_messages([text])[0]["content"] == "ab"
    image = HumanMessage(content=[{"type": "image_url", "image_url": {"url": "x"}}])
    with pytest.raises(ModelConfigError, match="text only"):
        to_llama_messages([image])


def test_a_middle_chunk_has_text_and_no_metadata() -> None:
    chunk = completion_to_chunk(_payload("Hel", None), model_name="m")
    assert chunk.message.content == "Hel"
    assert chunk.message.response_metadata == {}
    assert chunk.message.chunk_position is None
    assert chunk.message.usage_metadata is None


def test_the_last_chunk_carries_metadata_usage_and_position() -> None:
    usage = make_usage(10, 3, cache_read=8)
    chunk = completion_to_chunk(_payload("", "stop"), model_name="m", usage=usage)
    assert chunk.message.chunk_position == "last"
    assert chunk.message.response_metadata == {
        "model_name": "m",
        "model_provider": "llamacpp",
        "finish_reason": "stop",
    }
    assert chunk.message.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 3,
        "total_tokens": 13,
        "input_token_details": {"cache_read": 8},
    }
    assert chunk.generation_info == {"finish_reason": "stop"}


def test_chunks_add_up_to_one_message_with_unrepeated_metadata() -> None:
    parts = [_payload("Hel", None), _payload("lo", None), _payload("", "stop")]
    chunks = [completion_to_chunk(p, model_name="m", usage=make_usage(1, 2)) for p in parts]
    total = chunks[0].message + chunks[1].message + chunks[2].message
    assert total.content == "Hello"
    assert total.response_metadata["model_name"] == "m"


def test_a_forced_tool_call_payload_becomes_a_tool_call() -> None:
    text = json.dumps({"name": "add", "arguments": {"a": 1, "b": 2}})
    chunk = completion_to_chunk(_payload(text, "stop"), model_name="m", tool_mode="forced")
    message = message_chunk_to_message(chunk.message)
    assert message.content == ""
    assert message.tool_calls[0]["name"] == "add"
    assert message.tool_calls[0]["args"] == {"a": 1, "b": 2}


def test_tagged_tool_calls_are_split_from_the_text() -> None:
    text = 'Let me check.\n<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>'
    content, calls = extract_text_tool_calls(text)
    assert content == "Let me check."
    assert calls[0]["name"] == "f"
    assert calls[0]["args"] == {"x": 1}


def test_a_fenced_json_call_of_a_bound_tool_is_a_tool_call() -> None:
    text = '```json\n{"name": "get_weather", "arguments": {"location": "Paris"}}\n```'
    content, calls = extract_text_tool_calls(text, ["get_weather"])
    assert content == ""
    assert calls[0]["args"] == {"location": "Paris"}


def test_json_naming_no_bound_tool_stays_text() -> None:
    text = '{"name": "Ann", "arguments": {"a": 1}}'
    assert extract_text_tool_calls(text, ["get_weather"]) == (text, [])


def test_a_malformed_tagged_call_becomes_an_invalid_tool_call() -> None:
    text = "<tool_call>{not json}</tool_call>"
    chunk = completion_to_chunk(_payload(text, "stop"), model_name="m", tool_mode="auto")
    message = message_chunk_to_message(chunk.message)
    assert message.tool_calls == []
    assert len(message.invalid_tool_calls) == 1


def test_a_forced_call_cut_by_max_tokens_is_invalid_not_half_parsed() -> None:
    text = '{"name": "add", "arguments": {"a": 1, "b'
    chunk = completion_to_chunk(_payload(text, "length"), model_name="m", tool_mode="forced")
    message = message_chunk_to_message(chunk.message)
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["error"] == "the reply hit max_tokens"


def test_a_valid_call_reports_the_tool_calls_finish_reason() -> None:
    text = '{"name": "add", "arguments": {}}'
    chunk = completion_to_chunk(_payload(text, "stop"), model_name="m", tool_mode="forced")
    assert chunk.message.response_metadata["finish_reason"] == "tool_calls"


def test_text_without_calls_is_left_alone() -> None:
    assert extract_text_tool_calls("plain", ["f"]) == ("plain", [])


def test_forced_tool_schema_pins_the_name_and_the_arguments() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    assert forced_tool_schema([tool]) == {
        "type": "object",
        "properties": {"name": {"const": "f"}, "arguments": {"type": "object"}},
        "required": ["name", "arguments"],
    }
    other = {"type": "function", "function": {"name": "g"}}
    assert len(forced_tool_schema([tool, other])["anyOf"]) == 2


class Model(BaseModel):
    a: int


class Typed(TypedDict):
    a: int


@pytest.mark.parametrize(
    "schema",
    [Model, Typed, {"type": "object", "properties": {"a": {"type": "integer"}}}],
    ids=["pydantic", "typeddict", "json-schema"],
)
def test_schemas_of_every_accepted_kind_become_json_schema(schema: object) -> None:
    result = schema_to_json_schema(schema)  # type: ignore[arg-type]
    assert result["properties"]["a"]["type"] == "integer"


def test_an_unusable_schema_is_refused() -> None:
    with pytest.raises(ModelConfigError, match="cannot build a JSON schema"):
        schema_to_json_schema(42)  # type: ignore[arg-type]


def test_tool_use_blocks_in_ai_content_are_left_to_tool_calls() -> None:
    call = {"name": "f", "args": {}, "id": "c1", "type": "tool_call"}
    message = AIMessage(
        [{"type": "text", "text": "some text"}, {"type": "tool_use", "id": "c1", "name": "f"}],
        tool_calls=[call],
    )
    converted = to_llama_messages([message])[0]
    assert converted["content"] == "some text"
    assert converted["tool_calls"][0]["function"]["name"] == "f"


def test_pydantic_v1_models_are_accepted_as_schemas() -> None:
    from pydantic.v1 import BaseModel as BaseModelV1

    class Old(BaseModelV1):
        a: int

    assert schema_to_json_schema(Old)["properties"]["a"]["type"] == "integer"
