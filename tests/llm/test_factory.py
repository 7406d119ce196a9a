"""Model specs: validation with helpful errors, and what each spec builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import theraloop.agent.llm._factory as factory
from theraloop.agent.llm import (
    MODEL_SPEC_FORMS,
    BackendUnavailableError,
    ChatLlamaCpp,
    ModelPool,
    ModelSpec,
    ModelSpecError,
    make_chat_model,
    parse_model_spec,
)
from theraloop.agent.testing import NEUTRAL_REPLY, ScriptedChatModel
from theraloop.memory.errors import TheraloopError

_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", ModelSpec("local", "local")),
        ("local-small", ModelSpec("local-small", "local-small")),
        ("fake", ModelSpec("fake", "fake")),
        (" local ", ModelSpec("local", "local")),
        ("ollama:qwen2.5:1.5b", ModelSpec("ollama", "qwen2.5:1.5b")),
        ("openai:gpt-4o-mini", ModelSpec("openai", "gpt-4o-mini")),
        ("gguf:/models/x.gguf", ModelSpec("gguf", "/models/x.gguf")),
    ],
)
def test_accepted_specs_parse_into_kind_and_name(spec: str, expected: ModelSpec) -> None:
    assert parse_model_spec(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", "Local", "local-large", "ollama:", "openai: ", "mistral:7b", "ollama"]
)
def test_unknown_specs_are_refused_listing_the_accepted_forms(spec: str) -> None:
    with pytest.raises(ModelSpecError) as caught:
        parse_model_spec(spec)
    message = str(caught.value)
    assert repr(spec) in message
    for form in ("'local'", "'local-small'", "'ollama:<model>'", "'openai:<model>'", "'fake'"):
        assert form in message


def test_spec_errors_are_value_errors_and_theraloop_errors() -> None:
    with pytest.raises(ValueError):
        make_chat_model("nope")
    assert issubclass(ModelSpecError, TheraloopError)


def test_a_non_string_spec_is_refused() -> None:
    with pytest.raises(ModelSpecError, match="must be a string"):
        parse_model_spec(None)  # type: ignore[arg-type]


def test_every_documented_form_is_listed() -> None:
    assert len(MODEL_SPEC_FORMS) == 6


def test_fake_builds_a_scripted_model_with_a_neutral_reply() -> None:
    model = make_chat_model("fake")
    assert isinstance(model, ScriptedChatModel)
    assert model.invoke("hello").content == NEUTRAL_REPLY


def test_fake_accepts_scripted_responses() -> None:
    assert make_chat_model("fake", responses=["scripted"]).invoke("x").content == "scripted"


def test_serving_fake_does_not_import_the_test_doubles_module() -> None:
    code = (
        "import sys; from theraloop.agent.llm import make_chat_model; "
        "make_chat_model('fake').invoke('x'); "
        "sys.exit('theraloop.agent.testing' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=_ROOT, check=False)
    assert done.returncode == 0


def test_local_builds_a_lazy_llama_model_on_the_assembled_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gguf = tmp_path / "weights.gguf"
    gguf.write_bytes(b"GGUF")
    asked: list[tuple[str, Path | None]] = []

    def fake_ensure(name: str, cache_dir: Path | None = None) -> Path:
        asked.append((name, cache_dir))
        return gguf

    monkeypatch.setattr(factory, "ensure_gguf", fake_ensure)
    pool = ModelPool()
    model = make_chat_model(
        "local", temperature=0.1, seed=3, max_tokens=7, pool=pool, cache_dir=tmp_path, n_ctx=2048
    )
    assert isinstance(model, ChatLlamaCpp)
    assert asked == [("local", tmp_path)]
    assert (model.temperature, model.seed, model.max_tokens, model.n_ctx) == (0.1, 3, 7, 2048)
    assert model.model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert model.pool is pool
    assert len(pool) == 0  # nothing loaded yet


def test_local_small_names_the_small_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gguf = tmp_path / "w.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(factory, "ensure_gguf", lambda name, cache_dir=None: gguf)
    model = make_chat_model("local-small")
    assert model.model == "qwen2.5-coder-0.5b-instruct-q4_k_m"  # type: ignore[attr-defined]


def test_gguf_spec_points_at_any_file(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    model = make_chat_model(f"gguf:{gguf}")
    assert isinstance(model, ChatLlamaCpp)
    assert model.model == "my-model"


@pytest.mark.parametrize(
    ("spec", "module", "extra"),
    [
        ("ollama:qwen2.5", "langchain_ollama", "ollama"),
        ("openai:gpt-x", "langchain_openai", "openai"),
    ],
)
def test_a_missing_optional_provider_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(BackendUnavailableError, match=rf"theraloop\[{extra}\]"):
        make_chat_model(spec)


def test_openai_spec_passes_base_url_and_fills_a_placeholder_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("langchain_openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = make_chat_model("openai:qwen", base_url="http://localhost:8000/v1", temperature=0.2)
    assert (model.model_name, model.temperature, model.openai_api_base) == (
        "qwen",
        0.2,
        "http://localhost:8000/v1",
    )
    assert model.openai_api_key.get_secret_value() == "EMPTY"


def test_ollama_spec_maps_max_tokens_to_num_predict(monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict = {}

    class FakeChatOllama:
        def __init__(self, **kwargs: object) -> None:
            captured.update(kwargs)

    fake_module = type(sys)("langchain_ollama")
    fake_module.ChatOllama = FakeChatOllama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langchain_ollama", fake_module)
    make_chat_model("ollama:qwen2.5:1.5b", max_tokens=64, seed=1)
    assert captured == {"model": "qwen2.5:1.5b", "seed": 1, "num_predict": 64}


def test_a_timeout_reaches_the_openai_client(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_openai")
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    assert make_chat_model("openai:qwen", timeout=7.5).request_timeout == 7.5


@pytest.mark.parametrize(
    ("spec", "module", "cls", "expected"),
    [
        ("ollama:qwen2.5", "langchain_ollama", "ChatOllama", {"client_kwargs": {"timeout": 7.5}}),
    ],
)
def test_a_timeout_reaches_the_providers_own_client(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, cls: str, expected: dict
) -> None:
    captured: dict = {}

    class FakeChat:
        def __init__(self, **kwargs: object) -> None:
            captured.update(kwargs)

    fake_module = type(sys)(module)
    setattr(fake_module, cls, FakeChat)
    monkeypatch.setitem(sys.modules, module, fake_module)
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    make_chat_model(spec, timeout=7.5)
    assert {key: captured.get(key) for key in expected} == expected


def test_a_timeout_bounds_llama_cpp_decoding_and_is_ignored_by_fake(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    model = make_chat_model(f"gguf:{gguf}", timeout=7.5)
    assert isinstance(model, ChatLlamaCpp) and model.timeout == 7.5
    assert isinstance(make_chat_model("fake", timeout=7.5), ScriptedChatModel)
