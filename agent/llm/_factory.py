"""Turn a model spec string (``"local"``, ``"ollama:qwen2.5"``, ...) into a LangChain chat model.

This is the one place that knows the providers. Graph nodes receive the built
``BaseChatModel`` and never see a spec. Optional providers are imported only when asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from theraloop.agent.llm._fake import ScriptedChatModel, neutral_responder
from theraloop.agent.llm._llamacpp import ChatLlamaCpp, ModelPool
from theraloop.agent.llm._weights import WEIGHTS, ensure_gguf
from theraloop.agent.llm.errors import BackendUnavailableError, ModelSpecError

__all__ = ["SpecKind", "ModelSpec", "MODEL_SPEC_FORMS", "parse_model_spec", "make_chat_model"]

SpecKind = Literal["local", "local-small", "gguf", "ollama", "openai", "fake"]
"""The families of model specs."""

MODEL_SPEC_FORMS: tuple[str, ...] = (
    "'local' (embedded Qwen2.5-Coder-1.5B-Instruct, llama.cpp)",
    "'local-small' (embedded Qwen2.5-Coder-0.5B-Instruct, llama.cpp)",
    "'gguf:<path to a .gguf file>' (any local GGUF, llama.cpp)",
    "'ollama:<model>' (needs theraloop[ollama])",
    "'openai:<model>' (any OpenAI-compatible server; needs theraloop[openai])",
    "'fake' (scripted replies, offline tests)",
)
"""Human-readable accepted forms, used in error messages."""

_PREFIXED: tuple[SpecKind, ...] = ("gguf", "ollama", "openai")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A parsed model spec."""

    kind: SpecKind
    """Provider family."""
    name: str
    """Model name (``ollama``/``openai``), file path (``gguf``) or the kind itself."""


def parse_model_spec(spec: str) -> ModelSpec:
    """Parse and validate a model spec without building anything.

    Raises:
        ModelSpecError: ``spec`` is not one of :data:`MODEL_SPEC_FORMS`.

    Example:
        >>> parse_model_spec("ollama:qwen2.5:1.5b")
        ModelSpec(kind='ollama', name='qwen2.5:1.5b')
    """
    if not isinstance(spec, str):
        raise ModelSpecError(f"a model spec must be a string, got {spec!r}")
    text = spec.strip()
    if text in ("local", "local-small", "fake"):
        return ModelSpec(kind=text, name=text)  # type: ignore[arg-type]
    prefix, sep, rest = text.partition(":")
    if sep and prefix in _PREFIXED and rest.strip() and rest == rest.strip():
        return ModelSpec(kind=prefix, name=rest)  # type: ignore[arg-type]
    raise ModelSpecError(
        f"model spec {spec!r} is not recognised; use one of: " + ", ".join(MODEL_SPEC_FORMS)
    )


def make_chat_model(
    spec: str,
    *,
    temperature: float | None = None,
    seed: int | None = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
    pool: ModelPool | None = None,
    cache_dir: Path | None = None,
    **kwargs: Any,
) -> BaseChatModel:
    """Build the chat model a spec names.

    Args:
        spec: One of :data:`MODEL_SPEC_FORMS`.
        temperature: Sampling temperature (provider default when ``None``).
        seed: Sampling seed (provider default when ``None``).
        max_tokens: Reply length cap (provider default when ``None``).
        timeout: Seconds one call may take, enforced by the provider itself: llama.cpp stops
            decoding, Ollama and OpenAI-compatible clients abort the request (``fake``
            ignores it). Graph nodes also bound every call with :func:`invoke_with_timeout`.
        pool: For llama.cpp specs, a :class:`ModelPool` to share loaded weights with other chat
            models built with the same pool and load parameters; ``None`` gives this model its
            own instance (and its own KV cache: the right default for one model per role).
        cache_dir: Where ``local``/``local-small`` weights are assembled (default:
            ``$THERALOOP_CACHE_DIR`` or ``~/.cache/theraloop/models``).
        **kwargs: Passed to the provider's class: :class:`ChatLlamaCpp` fields (``n_ctx``,
            ``n_threads``, ``stop``, ``timeout``...), ``ChatOllama`` (``base_url``...),
            ``ChatOpenAI`` (``base_url``, ``api_key``...), or :class:`ScriptedChatModel`
            (``responses``) for ``fake``.

    Raises:
        ModelSpecError: ``spec`` is not recognised.
        BackendUnavailableError: The provider's optional package is not installed.
        MissingWeightsError: The embedded model's part packages are not installed.

    Example:
        >>> model = make_chat_model("fake", responses=["Hello."])
        >>> model.invoke("hi").content
        'Hello.'
    """
    parsed = parse_model_spec(spec)
    sampling = {
        key: value
        for key, value in (("temperature", temperature), ("seed", seed), ("max_tokens", max_tokens))
        if value is not None
    }
    if timeout is not None and parsed.kind in ("local", "local-small", "gguf", "openai"):
        kwargs.setdefault("timeout", timeout)
    elif timeout is not None and parsed.kind == "ollama":
        kwargs["client_kwargs"] = {"timeout": timeout, **(kwargs.get("client_kwargs") or {})}
    if parsed.kind in ("local", "local-small"):
        path = ensure_gguf(parsed.kind, cache_dir)  # type: ignore[arg-type]
        kwargs.setdefault("model", WEIGHTS[parsed.kind].model)
        return ChatLlamaCpp(model_path=str(path), pool=pool, **sampling, **kwargs)
    if parsed.kind == "gguf":
        return ChatLlamaCpp(model_path=parsed.name, pool=pool, **sampling, **kwargs)
    if parsed.kind == "ollama":
        return _ollama(parsed.name, sampling, kwargs)
    if parsed.kind == "openai":
        return _openai(parsed.name, sampling, kwargs)
    kwargs.setdefault("responses", neutral_responder)
    return ScriptedChatModel(**kwargs)


def _ollama(name: str, sampling: dict[str, Any], kwargs: dict[str, Any]) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as error:
        raise BackendUnavailableError(
            f"model spec 'ollama:{name}' needs langchain-ollama; pip install 'theraloop[ollama]'"
        ) from error
    if "max_tokens" in sampling:
        sampling["num_predict"] = sampling.pop("max_tokens")
    return ChatOllama(model=name, **sampling, **kwargs)


def _openai(name: str, sampling: dict[str, Any], kwargs: dict[str, Any]) -> BaseChatModel:
    try:
        import langchain_openai  # noqa: F401 - fails here, with the hint, when not installed

        from theraloop.agent.llm._openai_compat import ChatOpenAICompatible
    except ImportError as error:
        raise BackendUnavailableError(
            f"model spec 'openai:{name}' needs langchain-openai; pip install 'theraloop[openai]'"
        ) from error
    if (
        kwargs.get("base_url")
        and kwargs.get("api_key") is None
        and not os.environ.get("OPENAI_API_KEY")
    ):
        # Self-hosted OpenAI-compatible servers (vLLM, llama.cpp server) ignore the key, but
        # the client refuses to start without one.
        kwargs["api_key"] = "EMPTY"
    # structured output negotiates json_schema / json_mode / validated JSON per server
    return ChatOpenAICompatible(model=name, **sampling, **kwargs)
