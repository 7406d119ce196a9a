"""Structured output against the request shapes of llama.cpp's server, vLLM, Ollama, a bare server.

The servers are loopback fakes that answer as the real ones do (see ``_model_servers``); the
clients are the real ``langchain-openai`` / ``langchain-ollama`` classes built by
``make_chat_model``.
"""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel

from tests.llm._model_servers import (
    bare_server,
    llamacpp_server,
    serve_ollama,
    serve_openai,
    vllm_server,
)
from theraloop.agent.llm import make_chat_model

pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_ollama")


class Mood(BaseModel):
    """A small schema standing in for the summary, perception and safety schemas."""

    label: Literal["sad", "calm"]
    intensity: int


MOOD = {"label": "sad", "intensity": 3}


def mood_json(body: dict) -> str:  # noqa: ARG001 - every request gets the same answer
    return json.dumps(MOOD)


def openai_model(url: str):  # noqa: ANN201
    return make_chat_model("openai:fixture", base_url=url, max_retries=0, timeout=10)


def test_llamacpp_server_refuses_json_schema_so_json_object_with_the_schema_is_used():
    with serve_openai(llamacpp_server, mood_json) as server:
        model = openai_model(server.url)
        assert model.with_structured_output(Mood).invoke("How do I feel?") == Mood(**MOOD)
        assert server.formats() == ["json_schema", "json_object"]
        sent = server.requests[-1]["response_format"]
        assert sent["schema"]["properties"]["label"]["enum"] == ["sad", "calm"]
        assert "JSON schema" in server.requests[-1]["messages"][-1]["content"]


def test_the_refusal_is_learnt_once_per_model_and_recorded():
    with serve_openai(llamacpp_server, mood_json) as server:
        model = openai_model(server.url)
        model.with_structured_output(Mood).invoke("How do I feel?")
        model.with_structured_output(Mood).invoke("And now?")
        assert server.formats() == ["json_schema", "json_object", "json_object"]
        assert model.negotiation.method == "json_mode"
        (note,) = model.negotiation.dropped
        assert note.startswith("json_schema refused (") and "Error code: 500" in note
        assert "Input should be 'text' or 'json_object'" in note


def test_vllm_takes_json_schema_in_one_request():
    with serve_openai(vllm_server, mood_json) as server:
        model = openai_model(server.url)
        assert model.with_structured_output(Mood).invoke("How do I feel?") == Mood(**MOOD)
        (body,) = server.requests
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"]["required"] == [
            "label",
            "intensity",
        ]
        assert model.negotiation.dropped == []


def test_a_server_without_json_modes_gets_the_schema_in_the_prompt_and_its_reply_validated():
    def chatty(body: dict) -> str:
        return f"Here you go:\n```json\n{json.dumps(MOOD)}\n```\nAnything else?"

    with serve_openai(bare_server, chatty) as server:
        model = openai_model(server.url)
        assert model.with_structured_output(Mood).invoke("How do I feel?") == Mood(**MOOD)
        assert server.formats()[:2] == ["json_schema", "json_object"]
        assert "response_format" not in server.requests[-1]
        assert model.negotiation.method == "prompted"


def test_an_invalid_json_reply_gets_one_repair_request_quoting_the_error():
    replies = iter(['{"label": "furious", "intensity": 3}', json.dumps(MOOD)])

    def wrong_then_right(body: dict) -> str:
        return next(replies) if "response_format" not in body else ""

    with serve_openai(bare_server, wrong_then_right) as server:
        model = openai_model(server.url)
        assert model.with_structured_output(Mood).invoke("How do I feel?") == Mood(**MOOD)
        repair = server.requests[-1]["messages"][-1]["content"]
        assert repair.startswith("That reply was not valid") and "label" in repair


def test_an_error_that_is_not_a_refusal_is_raised_for_the_caller_to_retry():
    import openai

    def overloaded(body: dict, answer) -> tuple[int, dict]:  # noqa: ANN001
        return 503, {"error": {"message": "server overloaded", "type": "unavailable"}}

    with serve_openai(overloaded, mood_json) as server:
        model = openai_model(server.url)
        with pytest.raises(openai.APIStatusError, match="overloaded"):
            model.with_structured_output(Mood).invoke("How do I feel?")
        assert model.negotiation.method == "json_schema"


def test_ollama_gets_the_json_schema_as_format():
    with serve_ollama(mood_json) as server:
        model = make_chat_model("ollama:qwen2.5:0.5b", base_url=server.url)
        assert model.with_structured_output(Mood).invoke("How do I feel?") == Mood(**MOOD)
        (body,) = server.requests
        assert body["format"]["properties"]["intensity"]["type"] == "integer"


def test_a_session_review_on_a_llamacpp_server_gets_a_model_summary(tmp_path):
    from datetime import UTC, datetime

    from theraloop.agent import Settings, TherapistAgent
    from theraloop.agent.testing import ScriptedChatModel
    from theraloop.memory import HashingEmbedder, ManualClock

    summary = {"text": "The client spoke about poor sleep.", "concerns": ["sleep"]}
    with serve_openai(llamacpp_server, lambda body: json.dumps(summary)) as server:
        agent = TherapistAgent.from_settings(
            Settings(data_dir=tmp_path / "data", therapist_model="fake", model_retries=0),
            clock=ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC)),
            models={
                "therapist": ScriptedChatModel(responses=lambda m: "What keeps you awake?"),
                "supervisor": openai_model(server.url),
            },
            embedder=HashingEmbedder(dim=64),
        )
        with agent:
            agent.start_session("kim")
            agent.respond("kim", "I have not slept well for weeks.")
            review = agent.end_session("kim")
    assert (review.summary_source, review.summary.text) == ("model", summary["text"])
    (refusal,) = review.model_errors  # the refused json_schema call is reported, not only logged
    assert (
        refusal.startswith("structured output: json_schema refused") and "now json_mode" in refusal
    )


def test_prompted_can_be_asked_for_explicitly():
    with serve_openai(vllm_server, mood_json) as server:
        model = openai_model(server.url)
        structured = model.with_structured_output(Mood, method="prompted")
        assert structured.invoke("How do I feel?") == Mood(**MOOD)
        assert "response_format" not in server.requests[-1]
