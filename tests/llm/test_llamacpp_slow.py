"""ChatLlamaCpp on the real Qwen2.5-Coder-0.5B weights (marked slow: loads llama.cpp)."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from theraloop.agent.llm import ChatLlamaCpp, ModelTimeoutError

pytestmark = pytest.mark.slow

SYSTEM = SystemMessage(
    "You are a warm, concise counselor. Answer in one or two short sentences. "
    "Reflect the client's feelings before anything else."
)


class Emotion(BaseModel):
    """The main emotion in a message."""

    label: Literal["joy", "sadness", "anger", "fear", "neutral"] = Field(
        description="The dominant emotion."
    )
    intensity: int = Field(ge=1, le=5, description="1 = faint, 5 = overwhelming.")


class Reading(BaseModel):
    """A nested schema, exercising $defs in the grammar."""

    emotion: Emotion
    evidence: list[str] = Field(description="Short quotes from the message.", max_length=3)


def test_invoke_follows_the_chat_template(small_model: ChatLlamaCpp) -> None:
    reply = small_model.invoke([SYSTEM, HumanMessage("I failed my exam and feel awful.")])
    assert reply.text.strip()
    assert "<|im_" not in reply.text
    assert reply.usage_metadata["output_tokens"] <= 24
    assert reply.response_metadata["finish_reason"] in ("stop", "length")


def test_stream_delivers_tokens_and_usage(small_model: ChatLlamaCpp) -> None:
    chunks = list(small_model.stream([SYSTEM, HumanMessage("Say hello to me.")]))
    assert len(chunks) > 2
    assert chunks[-1].chunk_position == "last"
    usage = chunks[-1].usage_metadata
    assert usage["input_tokens"] > 10
    assert 0 < usage["output_tokens"] <= 24


def test_stream_and_invoke_agree_under_greedy_decoding(make_small_model) -> None:
    # A warm KV cache may change a greedy reply (batch-dependent float rounding), so both
    # calls evaluate their whole prompt.
    model = make_small_model(reuse_kv_prefix=False)
    messages = [SYSTEM, HumanMessage("Name one way to relax.")]
    streamed = "".join(c.text for c in model.stream(messages))
    assert streamed == model.invoke(messages).text


def test_a_stop_sequence_ends_the_reply(small_model: ChatLlamaCpp) -> None:
    prompt = "Count from 1 to 10 as digits separated by commas, nothing else."
    reply = small_model.invoke(prompt, stop=[","], max_tokens=40)
    assert "," not in reply.text
    assert reply.text.strip().startswith("1")


def test_the_same_seed_gives_the_same_sampled_reply(make_small_model) -> None:
    model = make_small_model(reuse_kv_prefix=False)
    prompt = [HumanMessage("Invent a name for a cat.")]
    first = model.invoke(prompt, temperature=1.0, seed=1234)
    second = model.invoke(prompt, temperature=1.0, seed=1234)
    assert first.text == second.text


def test_a_stable_prefix_is_reused_from_the_kv_cache(small_model: ChatLlamaCpp) -> None:
    small_model.invoke([SYSTEM, HumanMessage("First message.")], max_tokens=2)
    second = small_model.invoke([SYSTEM, HumanMessage("Another message.")], max_tokens=2)
    details = second.usage_metadata["input_token_details"]
    assert details["cache_read"] >= 30  # the whole system prompt


def test_structured_output_fills_a_pydantic_model(small_model: ChatLlamaCpp) -> None:
    structured = small_model.with_structured_output(Emotion)
    result = structured.invoke("I just lost my job and I can't stop crying.", max_tokens=40)
    assert isinstance(result, Emotion)
    assert result.label in {"sadness", "fear"}


def test_structured_output_handles_nested_models(small_model: ChatLlamaCpp) -> None:
    result = small_model.with_structured_output(Reading).invoke(
        "Client: 'My heart races before every meeting.'", max_tokens=80
    )
    assert isinstance(result, Reading)
    assert isinstance(result.emotion, Emotion)


@tool
def schedule_followup(days: int, topic: str) -> str:
    """Schedule a follow-up session in some days about a topic."""
    return f"in {days} days: {topic}"


def test_a_forced_tool_call_has_valid_arguments(small_model: ChatLlamaCpp) -> None:
    bound = small_model.bind_tools([schedule_followup], tool_choice="schedule_followup")
    reply = bound.invoke("Book a follow-up in 7 days about sleep.", max_tokens=40)
    call = reply.tool_calls[0]
    assert call["name"] == "schedule_followup"
    assert isinstance(call["args"]["days"], int)
    assert isinstance(call["args"]["topic"], str)


def test_a_generation_past_its_timeout_is_stopped(small_model: ChatLlamaCpp) -> None:
    with pytest.raises(ModelTimeoutError):
        small_model.invoke("Write a long story about the sea.", max_tokens=200, timeout=0.05)


def test_async_invoke_runs_in_an_executor(small_model: ChatLlamaCpp) -> None:
    reply = asyncio.run(small_model.ainvoke("Say yes.", max_tokens=4))
    assert reply.text.strip()
