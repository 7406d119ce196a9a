"""The scripted and failing chat models that every other package's tests rely on."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from theraloop.agent.testing import (
    NEUTRAL_REPLY,
    FailingChatModel,
    ManualClock,
    ScriptedChatModel,
    ScriptExhaustedError,
    minimal_instance,
    neutral_responder,
)


class Emotion(BaseModel):
    label: Literal["joy", "sadness", "fear"]
    intensity: int = Field(ge=1, le=5)


class EmotionDict(TypedDict):
    label: str
    intensity: int


def test_replies_come_from_the_list_in_order() -> None:
    model = ScriptedChatModel(responses=["one", "two"])
    assert [model.invoke("a").content, model.invoke("b").content] == ["one", "two"]


def test_an_exhausted_script_raises_with_how_to_fix() -> None:
    model = ScriptedChatModel(responses=["only"])
    model.invoke("a")
    with pytest.raises(ScriptExhaustedError, match="cycle=True"):
        model.invoke("b")


def test_cycle_starts_the_script_over() -> None:
    model = ScriptedChatModel(responses=["x", "y"], cycle=True)
    assert [model.invoke("q").content for _ in range(3)] == ["x", "y", "x"]


def test_an_empty_script_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        ScriptedChatModel(responses=[])


def test_a_bare_string_is_refused_as_a_script() -> None:
    with pytest.raises(TypeError, match="list of replies or a callable"):
        ScriptedChatModel(responses="hello")


def test_a_callable_sees_the_messages() -> None:
    model = ScriptedChatModel(responses=lambda messages: f"{len(messages)}:{messages[-1].text}")
    reply = model.invoke([SystemMessage("sys"), HumanMessage("hi")])
    assert reply.content == "2:hi"


def test_calls_are_recorded_with_messages_and_options() -> None:
    model = ScriptedChatModel(responses=["ok"], cycle=True)
    model.invoke([SystemMessage("be kind"), HumanMessage("hello")], stop=["\n"])
    call = model.calls[0]
    assert [m.text for m in call.messages] == ["be kind", "hello"]
    assert call.schema is None
    assert call.kwargs["stop"] == ["\n"]
    assert "be kind" in call.prompt


def test_reset_forgets_calls_and_restarts_the_script() -> None:
    model = ScriptedChatModel(responses=["a", "b"])
    model.invoke("x")
    model.reset()
    assert model.calls == []
    assert model.invoke("x").content == "a"


def test_stop_sequences_cut_the_reply() -> None:
    model = ScriptedChatModel(responses=["first line\nsecond line"])
    assert model.invoke("go", stop=["\n"]).content == "first line"


def test_replies_carry_metadata_and_usage() -> None:
    reply = ScriptedChatModel(responses=["three little words"]).invoke("two words")
    assert reply.response_metadata["model_name"] == "scripted"
    assert reply.usage_metadata == {"input_tokens": 2, "output_tokens": 3, "total_tokens": 5}


def test_streaming_splits_the_reply_into_word_chunks() -> None:
    model = ScriptedChatModel(responses=["I hear you, friend."])
    chunks = list(model.stream("hi"))
    assert [c.content for c in chunks] == ["I ", "hear ", "you, ", "friend."]
    assert chunks[-1].chunk_position == "last"
    assert chunks[-1].usage_metadata is not None
    assert "".join(c.content for c in chunks) == "I hear you, friend."


def test_async_invoke_and_stream_work() -> None:
    model = ScriptedChatModel(responses=["async reply"], cycle=True)

    async def run() -> tuple[str, str]:
        reply = await model.ainvoke("hi")
        text = "".join([c.content async for c in model.astream("hi")])
        return reply.text, text

    assert asyncio.run(run()) == ("async reply", "async reply")


@pytest.mark.parametrize(
    "scripted",
    [
        '{"label": "fear", "intensity": 4}',
        {"label": "fear", "intensity": 4},
        Emotion(label="fear", intensity=4),
    ],
    ids=["json-string", "dict", "instance"],
)
def test_structured_output_validates_any_scripted_form(scripted: object) -> None:
    model = ScriptedChatModel(responses=[scripted])
    assert model.with_structured_output(Emotion).invoke("scared") == Emotion(
        label="fear", intensity=4
    )


def test_structured_output_records_the_schema() -> None:
    model = ScriptedChatModel(responses=[{"label": "joy", "intensity": 1}])
    model.with_structured_output(Emotion).invoke("yay")
    assert model.calls[0].schema is Emotion


def test_structured_output_into_a_typeddict_returns_a_dict() -> None:
    model = ScriptedChatModel(responses=['{"label": "calm", "intensity": 2}'])
    assert model.with_structured_output(EmotionDict).invoke("q") == {
        "label": "calm",
        "intensity": 2,
    }


def test_structured_output_refuses_a_reply_that_does_not_fit() -> None:
    model = ScriptedChatModel(responses=[{"label": "rage", "intensity": 9}])
    with pytest.raises(OutputParserException, match="Emotion"):
        model.with_structured_output(Emotion).invoke("q")


def test_structured_output_include_raw_reports_parse_errors() -> None:
    model = ScriptedChatModel(responses=["not json"])
    out = model.with_structured_output(Emotion, include_raw=True).invoke("q")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], OutputParserException)
    assert out["raw"].content == "not json"


def test_a_two_argument_callable_receives_the_schema() -> None:
    seen: list[object] = []

    def responder(messages, schema):  # noqa: ANN001, ANN202
        seen.append(schema)
        return "plain" if schema is None else schema(label="joy", intensity=2)

    model = ScriptedChatModel(responses=responder)
    assert model.invoke("q").content == "plain"
    assert model.with_structured_output(Emotion).invoke("q").label == "joy"
    assert seen == [None, Emotion]


def test_bind_tools_returns_the_model_and_scripted_tool_calls_come_back() -> None:
    call = {"name": "lookup", "args": {"q": "x"}, "id": "call_1", "type": "tool_call"}
    model = ScriptedChatModel(responses=[AIMessage(content="", tool_calls=[call])])
    assert model.bind_tools([]) is model
    assert model.invoke("q").tool_calls == [call]


def test_scripted_model_is_a_base_chat_model() -> None:
    assert isinstance(ScriptedChatModel(responses=["x"]), BaseChatModel)


def test_failing_model_raises_then_delegates() -> None:
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=["fine"]), error=TimeoutError("slow"), failures=2
    )
    for _ in range(2):
        with pytest.raises(TimeoutError):
            model.invoke("q")
    assert model.invoke("q").content == "fine"
    assert model.attempts == 3


def test_failing_model_works_with_retry() -> None:
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=["ok"]), error=lambda: ConnectionError("down")
    )
    assert (
        model.with_retry(stop_after_attempt=2, wait_exponential_jitter=False).invoke("q").content
        == "ok"
    )


def test_failing_model_with_negative_failures_always_fails() -> None:
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=["never"]), error=RuntimeError("x"), failures=-1
    )
    for _ in range(3):
        with pytest.raises(RuntimeError):
            model.invoke("q")


def test_failing_model_fails_structured_calls_first() -> None:
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=[{"label": "joy", "intensity": 3}]),
        error=ValueError("bad"),
    )
    structured = model.with_structured_output(Emotion)
    with pytest.raises(ValueError, match="bad"):
        structured.invoke("q")
    assert structured.invoke("q").intensity == 3


def test_failing_model_streams_after_its_failures() -> None:
    model = FailingChatModel(inner=ScriptedChatModel(responses=["a b"]), error=OSError("x"))
    with pytest.raises(OSError):
        list(model.stream("q"))
    assert "".join(c.content for c in model.stream("q")) == "a b"


def test_neutral_responder_gives_text_or_a_minimal_instance() -> None:
    assert neutral_responder([HumanMessage("hi")]) == NEUTRAL_REPLY
    assert neutral_responder([], Emotion) == Emotion(label="joy", intensity=1)


class Nested(BaseModel):
    name: str = Field(min_length=2)
    tags: list[str] = Field(min_length=1)
    note: str | None = None
    score: float = Field(gt=0.5)
    inner: Emotion
    flag: bool = True


def test_minimal_instance_satisfies_constraints_and_defaults() -> None:
    value = minimal_instance(Nested)
    assert isinstance(value, Nested)
    assert value.name == "xx"
    assert value.tags == [""]
    assert value.note is None
    assert value.flag is True
    assert value.inner.label == "joy"


def test_fake_spec_model_answers_plain_and_structured_calls_offline() -> None:
    from theraloop.agent.llm import make_chat_model

    model = make_chat_model("fake")
    assert model.invoke("hello").content == NEUTRAL_REPLY
    assert model.with_structured_output(Emotion).invoke("x") == Emotion(label="joy", intensity=1)


def test_manual_clock_is_re_exported() -> None:
    from theraloop.memory.clock import ManualClock as Original

    assert ManualClock is Original


def test_hashing_embedder_is_re_exported_lazily() -> None:
    import theraloop.memory
    from theraloop.agent.testing import HashingEmbedder

    assert HashingEmbedder is theraloop.memory.HashingEmbedder
