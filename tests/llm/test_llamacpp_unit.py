"""ChatLlamaCpp without llama.cpp: a fake ``Llama`` behind the real adapter code.

The fake records what the adapter asks of llama.cpp (tokens, sampling options, grammar,
stopping criteria) and answers with scripted completion payloads, so every path of the
adapter runs here in milliseconds; tests/llm/test_llamacpp_slow.py runs the real model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from langchain_tests.unit_tests import ChatModelUnitTests
from pydantic import BaseModel, ValidationError

from theraloop.agent.llm import (
    ChatLlamaCpp,
    ContextOverflowError,
    LoadConfig,
    LoadedModel,
    ModelConfigError,
    ModelPool,
    ModelTimeoutError,
    make_chat_model,
)

DUMMY_GGUF = Path(tempfile.mkdtemp(prefix="theraloop-llm-")) / "dummy-model.gguf"
DUMMY_GGUF.write_bytes(b"GGUF")
EOG = -1


class FakeLlama:
    """Mimics the slice of ``llama_cpp.Llama`` the adapter uses."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.calls: list[dict[str, Any]] = []
        self.input_ids: list[int] = []
        self.n_tokens = 0
        self.busy = False
        self.closed = False
        self.delay = 0.0

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return [hash(word) % 50_000 for word in text.decode().split()]

    def create_completion(self, tokens: list[int], stream: bool = False, **kwargs: Any) -> Any:
        assert not self.busy, "two calls ran on one Llama at once"
        self.calls.append({"tokens": list(tokens), "stream": stream, **kwargs})
        text = self.replies[(len(self.calls) - 1) % len(self.replies)]
        pieces = [w + " " for w in text.split(" ")]
        pieces[-1] = pieces[-1][:-1]
        return (
            self._stream(tokens, pieces, kwargs) if stream else self._whole(tokens, pieces, kwargs)
        )

    def _generate(self, tokens: list[int], pieces: list[str], kwargs: dict) -> Iterator[str]:
        self.busy = True
        try:
            generated: list[int] = []
            for piece in pieces:
                time.sleep(self.delay)
                generated.append(len(generated) + 1)
                if kwargs["stopping_criteria"](tokens + generated, None):
                    break
                yield piece
            kwargs["stopping_criteria"](tokens + generated + [EOG], None)
            self.input_ids, self.n_tokens = tokens + generated, len(tokens) + len(generated)
        finally:
            self.busy = False

    def _whole(self, tokens: list[int], pieces: list[str], kwargs: dict) -> dict:
        text = "".join(self._generate(tokens, pieces, kwargs))
        return {"id": "cmpl-1", "choices": [{"text": text, "finish_reason": "stop"}]}

    def _stream(self, tokens: list[int], pieces: list[str], kwargs: dict) -> Iterator[dict]:
        for piece in self._generate(tokens, pieces, kwargs):
            yield {"id": "cmpl-1", "choices": [{"text": piece, "finish_reason": None}]}
        yield {"id": "cmpl-1", "choices": [{"text": "", "finish_reason": "stop"}]}

    def close(self) -> None:
        self.closed = True


def fake_formatter(*, messages: list[dict], tools: list[dict] | None = None, **_: Any) -> Any:
    prompt = " ".join(f"<{m['role']}> {m['content']}" for m in messages)
    if tools:
        prompt = "<tools> " + " ".join(t["function"]["name"] for t in tools) + " " + prompt
    return SimpleNamespace(
        prompt=prompt, stop=["<end>"], stopping_criteria=None, added_special=True
    )


class FakeBackend:
    """A ModelPool loader that hands out FakeLlamas and remembers what it loaded."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.loaded: list[LoadedModel] = []
        self.grammars: list[str] = []

    def __call__(self, config: LoadConfig) -> LoadedModel:
        loaded = LoadedModel(
            config=config,
            llama=FakeLlama(self.replies),  # type: ignore[arg-type]
            formatter=fake_formatter,
            is_eog=lambda token: token == EOG,
            make_grammar=self._grammar,
            load_seconds=0.0,
        )
        self.loaded.append(loaded)
        return loaded

    def _grammar(self, schema: str) -> str:
        self.grammars.append(schema)
        return f"grammar:{schema}"

    @property
    def llama(self) -> FakeLlama:
        return self.loaded[-1].llama  # type: ignore[return-value]


def fake_model(replies: list[str], **kwargs: Any) -> tuple[ChatLlamaCpp, FakeBackend]:
    backend = FakeBackend(replies)
    model = ChatLlamaCpp(model_path=DUMMY_GGUF, pool=ModelPool(loader=backend), **kwargs)
    return model, backend


class Feeling(BaseModel):
    label: Literal["calm", "tense"]
    intensity: int


# ------------------------------------------------------------------ construction


def test_a_missing_model_file_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="is not a file"):
        ChatLlamaCpp(model_path="/nonexistent/model.gguf")


def test_unknown_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValidationError, match="temprature"):
        ChatLlamaCpp(model_path=DUMMY_GGUF, temprature=0.1)


def test_the_model_name_defaults_to_the_file_name() -> None:
    assert ChatLlamaCpp(model_path=DUMMY_GGUF).model == "dummy-model"


def test_construction_does_not_load_the_model() -> None:
    backend = FakeBackend(["x"])
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=ModelPool(loader=backend))
    assert backend.loaded == []


def test_importing_the_model_layer_does_not_import_heavy_backends() -> None:
    code = (
        "import sys, theraloop.agent.llm, theraloop.agent.testing; "
        "print([m for m in ('llama_cpp', 'torch', 'chromadb', 'sentence_transformers') "
        "if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_tracing_params_name_provider_model_and_sampling() -> None:
    model = ChatLlamaCpp(model_path=DUMMY_GGUF, temperature=0.2, max_tokens=9, stop=["x"])
    params = model._get_ls_params()
    assert params["ls_provider"] == "llamacpp"
    assert params["ls_model_name"] == "dummy-model"
    assert params["ls_temperature"] == 0.2
    assert params["ls_max_tokens"] == 9
    assert params["ls_stop"] == ["x"]


# ------------------------------------------------------------------ pool


def test_models_differing_only_in_sampling_share_one_pooled_llama() -> None:
    backend = FakeBackend(["hi"])
    pool = ModelPool(loader=backend)
    a = ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, temperature=0.1)
    b = ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, temperature=0.9, seed=3)
    a.invoke("x")
    b.invoke("y")
    assert len(backend.loaded) == 1
    assert len(pool) == 1


def test_models_with_other_load_parameters_get_their_own_llama() -> None:
    backend = FakeBackend(["hi"])
    pool = ModelPool(loader=backend)
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, n_ctx=1024).load()
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, n_ctx=2048).load()
    assert len(pool) == 2


def test_a_pool_key_gives_a_role_its_own_llama_in_a_shared_pool() -> None:
    backend = FakeBackend(["hi"])
    pool = ModelPool(loader=backend)
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, pool_key="therapist").load()
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, pool_key="supervisor").load()
    ChatLlamaCpp(model_path=DUMMY_GGUF, pool=pool, pool_key="therapist").load()
    assert len(backend.loaded) == 2


def test_make_chat_model_builds_a_gguf_spec_on_the_given_pool() -> None:
    backend = FakeBackend(["pooled reply"])
    pool = ModelPool(loader=backend)
    model = make_chat_model(f"gguf:{DUMMY_GGUF}", temperature=0.0, pool=pool, pool_key="perception")
    assert isinstance(model, ChatLlamaCpp)
    assert model.pool is pool
    assert model.invoke("x").content == "pooled reply"


def test_closing_a_pool_frees_its_models() -> None:
    model, backend = fake_model(["hi"])
    model.invoke("x")
    assert model.pool is not None
    model.pool.close()
    assert backend.llama.closed
    assert len(model.pool) == 0


# ------------------------------------------------------------------ invoke


def test_invoke_returns_the_reply_with_metadata_and_exact_usage() -> None:
    model, backend = fake_model(["I hear you"])
    reply = model.invoke([SystemMessage("be kind"), HumanMessage("hello there")])
    assert reply.content == "I hear you"
    assert reply.response_metadata["model_name"] == "dummy-model"
    assert reply.response_metadata["finish_reason"] == "stop"
    prompt_tokens = len(backend.llama.calls[0]["tokens"])
    assert reply.usage_metadata["input_tokens"] == prompt_tokens
    assert reply.usage_metadata["output_tokens"] == 3


def test_usage_reports_prompt_tokens_reused_from_the_kv_cache() -> None:
    model, _ = fake_model(["ok"])
    system = SystemMessage("a long stable system prompt with many words")
    first = model.invoke([system, HumanMessage("one")])
    second = model.invoke([system, HumanMessage("two")])
    assert first.usage_metadata["input_token_details"]["cache_read"] == 0
    assert second.usage_metadata["input_token_details"]["cache_read"] == 10


def test_sampling_options_reach_llama_and_call_options_override_fields() -> None:
    model, backend = fake_model(["ok"], temperature=0.3, seed=5, max_tokens=20, top_k=7)
    model.invoke("x", temperature=0.0, max_tokens=4)
    call = backend.llama.calls[0]
    assert (call["temperature"], call["max_tokens"], call["seed"], call["top_k"]) == (0.0, 4, 5, 7)
    assert call["grammar"] is None


def test_stop_sequences_merge_model_call_and_template_stops() -> None:
    model, backend = fake_model(["ok"], stop=["\n\n"])
    model.invoke("x", stop=["Client:"])
    assert backend.llama.calls[0]["stop"] == ["\n\n", "Client:", "<end>"]


def test_unknown_call_options_are_refused_with_the_accepted_ones() -> None:
    model, _ = fake_model(["ok"])
    with pytest.raises(ModelConfigError, match="temprature.*accepted"):
        model.invoke("x", temprature=0.1)


def test_a_prompt_longer_than_the_context_is_refused() -> None:
    model, _ = fake_model(["ok"], n_ctx=64)
    with pytest.raises(ContextOverflowError, match="n_ctx=64"):
        model.invoke("word " * 100)


def test_a_generation_past_its_timeout_raises() -> None:
    model, backend = fake_model(["a b c d e f"], timeout=0.05)
    model.load()
    backend.llama.delay = 0.03
    with pytest.raises(ModelTimeoutError, match="timeout"):
        model.invoke("x")


def test_concurrent_calls_on_one_llama_take_turns() -> None:
    model, backend = fake_model(["a b c"])
    model.load()
    backend.llama.delay = 0.01
    errors: list[BaseException] = []

    def call() -> None:
        try:
            model.invoke("x")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(backend.llama.calls) == 4


# ------------------------------------------------------------------ stream


def test_stream_yields_token_chunks_ending_with_usage() -> None:
    model, _ = fake_model(["I hear you"])
    chunks = list(model.stream("hi"))
    assert "".join(c.content for c in chunks) == "I hear you"
    assert [c.chunk_position for c in chunks][-1] == "last"
    assert chunks[-1].usage_metadata["output_tokens"] == 3
    assert all(c.usage_metadata is None for c in chunks[:-1])


def test_an_abandoned_stream_releases_the_model() -> None:
    model, _ = fake_model(["one two three"])
    stream = model.stream("hi")
    next(stream)
    stream.close()
    assert model.invoke("again").content == "one two three"


def test_streaming_true_makes_invoke_stream() -> None:
    model, backend = fake_model(["a b"], streaming=True)
    assert model.invoke("x").content == "a b"
    assert backend.llama.calls[0]["stream"] is True


# ------------------------------------------------------------------ structured output and tools


def test_structured_output_constrains_with_a_grammar_and_parses_the_model() -> None:
    model, backend = fake_model(['{"label": "tense", "intensity": 4}'])
    result = model.with_structured_output(Feeling).invoke("I am nervous")
    assert result == Feeling(label="tense", intensity=4)
    assert json.loads(backend.grammars[0]) == Feeling.model_json_schema()
    assert backend.llama.calls[0]["grammar"] == f"grammar:{backend.grammars[0]}"


def test_structured_output_appends_the_schema_after_the_conversation() -> None:
    model, backend = fake_model(['{"label": "calm", "intensity": 1}'])
    model.with_structured_output(Feeling).invoke([SystemMessage("sys"), HumanMessage("hi")])
    rendered = backend.llama.calls[0]["tokens"]
    plain = FakeLlama([]).tokenize(b"<system> sys <user> hi")
    assert rendered[: len(plain)] == plain  # the conversation prefix is unchanged
    assert len(rendered) > len(plain)


def test_structured_output_parses_into_pydantic_v1_models() -> None:
    from pydantic.v1 import BaseModel as BaseModelV1

    class Old(BaseModelV1):
        label: str

    model, _ = fake_model(['{"label": "calm"}'])
    assert model.with_structured_output(Old).invoke("x") == Old(label="calm")


def test_structured_output_can_leave_the_prompt_alone() -> None:
    model, backend = fake_model(['{"label": "calm", "intensity": 1}'])
    model.with_structured_output(Feeling, schema_in_prompt=False).invoke("hi")
    assert backend.llama.calls[0]["tokens"] == FakeLlama([]).tokenize(b"<user> hi")


def test_grammars_are_compiled_once_per_schema() -> None:
    model, backend = fake_model(['{"label": "calm", "intensity": 1}'])
    structured = model.with_structured_output(Feeling)
    structured.invoke("a")
    structured.invoke("b")
    assert len(backend.grammars) == 1


def test_json_mode_only_forces_a_json_object() -> None:
    model, backend = fake_model(['{"anything": 1}'])
    out = model.with_structured_output(
        {"type": "object", "properties": {}}, method="json_mode"
    ).invoke("x")
    assert out == {"anything": 1}
    assert json.loads(backend.grammars[0]) == {"type": "object"}


def test_structured_output_include_raw_returns_parse_errors() -> None:
    model, _ = fake_model(['{"label": "elated", "intensity": 1}'])
    out = model.with_structured_output(Feeling, include_raw=True).invoke("x")
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    assert out["raw"].content.startswith("{")


def test_unsupported_structured_output_arguments_are_refused() -> None:
    model, _ = fake_model(["{}"])
    with pytest.raises(ValueError, match="method="):
        model.with_structured_output(Feeling, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unsupported arguments"):
        model.with_structured_output(Feeling, colour="red")


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_a_forced_tool_call_is_grammar_constrained_and_parsed() -> None:
    model, backend = fake_model(['{"name": "add", "arguments": {"a": 2, "b": 3}}'])
    reply = model.bind_tools([add, shout], tool_choice="any").invoke("2+3?")
    assert reply.tool_calls[0]["name"] == "add"
    assert reply.tool_calls[0]["args"] == {"a": 2, "b": 3}
    schema = json.loads(backend.grammars[0])
    assert [alt["properties"]["name"]["const"] for alt in schema["anyOf"]] == ["add", "shout"]


def test_a_named_tool_choice_forces_that_tool_only() -> None:
    model, backend = fake_model(['{"name": "shout", "arguments": {"text": "hi"}}'])
    model.bind_tools([add, shout], tool_choice="shout").invoke("hi")
    assert json.loads(backend.grammars[0])["properties"]["name"] == {"const": "shout"}


def test_a_tool_choice_naming_no_bound_tool_is_refused() -> None:
    model, _ = fake_model(["x"])
    with pytest.raises(ModelConfigError, match="names no bound tool"):
        model.bind_tools([add], tool_choice="subtract").invoke("x")


def test_auto_tool_choice_shows_the_tools_and_parses_tagged_calls() -> None:
    reply_text = 'ok <tool_call>{"name": "add", "arguments": {"a": 1, "b": 1}}</tool_call>'
    model, backend = fake_model([reply_text])
    reply = model.bind_tools([add]).invoke("1+1")
    assert reply.tool_calls[0]["args"] == {"a": 1, "b": 1}
    assert reply.content == "ok"
    assert backend.llama.calls[0]["grammar"] is None
    assert backend.llama.calls[0]["tokens"][:2] == FakeLlama([]).tokenize(b"<tools> add")


def test_tool_choice_none_hides_the_tools() -> None:
    model, backend = fake_model(["plain"])
    assert model.bind_tools([add], tool_choice="none").invoke("x").content == "plain"
    assert backend.llama.calls[0]["tokens"] == FakeLlama([]).tokenize(b"<user> x")


def test_streaming_with_tools_delivers_one_final_chunk() -> None:
    model, _ = fake_model(['{"name": "add", "arguments": {"a": 1, "b": 2}}'])
    chunks = list(model.bind_tools([add], tool_choice="add").stream("x"))
    assert len(chunks) == 1
    assert chunks[0].chunk_position == "last"
    assert chunks[0].tool_calls[0]["args"] == {"a": 1, "b": 2}


# ------------------------------------------------------------------ LangChain's standard suite


class TestChatLlamaCppStandard(ChatModelUnitTests):
    """LangChain's unit suite: construction, params, tools and schemas, no model loaded."""

    @property
    def chat_model_class(self) -> type[ChatLlamaCpp]:
        return ChatLlamaCpp

    @property
    def chat_model_params(self) -> dict:
        return {"model_path": str(DUMMY_GGUF)}

    @property
    def standard_chat_model_params(self) -> dict:
        params = super().standard_chat_model_params
        params.pop("api_key")  # a local model has no key; unknown arguments are refused
        return params
