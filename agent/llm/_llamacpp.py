"""``ChatLlamaCpp``: a LangChain chat model over an in-process ``llama_cpp.Llama``.

Data flow of one call::

    LangChain messages --to_llama_messages--> role dicts
        --GGUF chat template (jinja)--> prompt text --tokenize--> prompt tokens
        --Llama.create_completion(grammar, stop, seed, stopping criteria)--> completion payload(s)
        --completion_to_chunk--> ChatGenerationChunk(s) -> AIMessage

The adapter renders the GGUF's own chat template itself (with llama-cpp-python's
``Jinja2ChatFormatter``, exactly as ``Llama.create_chat_completion`` would) so that it knows
the prompt tokens. That buys three things ``create_chat_completion`` cannot give: exact token
usage on streamed replies, a generation ``timeout`` that really stops decoding, and a
``cache_read`` count of the prompt tokens reused from llama.cpp's KV cache.

Prompt caching: one ``Llama`` keeps the tokens of its last call in its KV cache and re-uses the
longest common prefix on the next call, so a stable prompt prefix (system prompt, catalog,
few-shot examples first; the changing turn last) costs nothing after the first call. Roles with
different prefixes should each have their own instance, or they evict each other's prefix.
``prompt_cache_bytes`` adds llama.cpp's ``LlamaRAMCache`` of whole states on top, for callers
that alternate between a few prefixes on one instance.

Loading: the ``Llama`` is created on first use (or by :meth:`ChatLlamaCpp.load`), so building
the chat model is cheap. Pass a :class:`ModelPool` to share one loaded ``Llama`` between chat
model objects with the same load parameters (sampling parameters may differ). Weights are
memory-mapped, so even separate instances of one file share the weights' RAM; each instance
adds its own KV cache (about 28 KB per context token for the 1.5B model).

Threads: a ``Llama`` is not thread-safe, so every call holds the loaded model's lock for the
whole generation (a stream holds it until it is exhausted or closed). ``n_threads`` should not
exceed the cores that are actually free: llama.cpp's worker threads busy-wait for each other
at every layer, and when other processes take the cores a 2-thread generation can become ten
times slower than a 1-thread one (measured on a loaded 2-core machine).

Repeatability: with a ``seed`` (or temperature 0) the same prompt on the same cache state gives
the same reply. A warm KV cache evaluates only the new part of a prompt, and llama.cpp's float
results depend slightly on batch shapes, so a reply can differ between a cold and a warm
cache; ``reuse_kv_prefix=False`` trades the cache for bit-exact repeats.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    message_chunk_to_message,
)
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from theraloop.agent.llm._convert import (
    PROVIDER,
    ToolMode,
    completion_to_chunk,
    forced_tool_schema,
    make_usage,
    schema_to_json_schema,
    to_llama_messages,
)
from theraloop.agent.llm._lifetime import EXITING, track
from theraloop.agent.llm.errors import (
    BackendUnavailableError,
    ContextOverflowError,
    ModelConfigError,
    ModelTimeoutError,
)

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

__all__ = ["ChatLlamaCpp", "ModelPool", "LoadConfig", "LoadedModel"]

_CALL_OPTIONS = frozenset(
    {
        "temperature",
        "max_tokens",
        "top_p",
        "top_k",
        "min_p",
        "repeat_penalty",
        "seed",
        "timeout",
        "response_format",
        "schema_prompt",
        "tools",
        "tool_choice",
    }
)


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """Everything that shapes a loaded ``Llama``; two equal configs can share one instance."""

    model_path: str
    """Resolved path of the GGUF file."""
    n_ctx: int
    """Context window in tokens (prompt plus reply)."""
    n_threads: int
    """CPU threads for generation."""
    n_threads_batch: int
    """CPU threads for prompt processing."""
    n_batch: int
    """Prompt tokens evaluated per batch."""
    n_gpu_layers: int
    """Layers offloaded to a GPU build of llama.cpp (0 on CPU)."""
    chat_template: str | None
    """Jinja chat template overriding the GGUF's own."""
    prompt_cache_bytes: int
    """Capacity of an optional ``LlamaRAMCache`` (0 disables it)."""
    llama_verbose: bool
    """Let llama.cpp print its own logs."""
    pool_key: str = ""
    """Separates otherwise equal configs in a :class:`ModelPool` (e.g. one instance per role)."""


@dataclass(slots=True, weakref_slot=True)
class LoadedModel:
    """A loaded ``Llama`` with the lock and chat formatter every call needs."""

    config: LoadConfig
    """The parameters it was loaded with."""
    llama: Llama
    """The llama-cpp-python model (not thread-safe: hold ``lock``)."""
    formatter: Callable[..., Any]
    """Renders role dicts (and tools) into a prompt: a ``Jinja2ChatFormatter`` of the GGUF's
    chat template, returning ``prompt``, ``stop``, ``stopping_criteria``, ``added_special``."""
    is_eog: Callable[[int], bool]
    """Whether a token ends generation (end-of-turn or end-of-text)."""
    make_grammar: Callable[[str], Any]
    """Compile a JSON schema (as text) into a ``LlamaGrammar``."""
    load_seconds: float
    """Wall time of loading, for benchmarks."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Serializes calls; a plain Lock so a stream consumed from several threads can release it."""
    grammars: dict[str, LlamaGrammar] = field(default_factory=dict)
    """Compiled grammars by JSON schema text (schema -> GBNF conversion runs in Python)."""
    release: Callable[[], Any] | None = None
    """Frees the model once its running call is done (set by the loader, see ``_lifetime``)."""

    def close(self) -> None:
        """Free the model's memory now instead of at garbage collection."""
        if self.release is not None:
            self.release()
            return
        with self.lock:
            self.llama.close()


def _load(config: LoadConfig) -> LoadedModel:
    """Load a GGUF file into a ``Llama`` (imports llama_cpp lazily)."""
    try:
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    except ImportError as error:
        raise BackendUnavailableError(
            "the local model needs llama-cpp-python; install it with "
            "pip install 'theraloop[local]' (it compiles llama.cpp, a few minutes)"
        ) from error
    from theraloop.agent.llm.cpu import new_llama, plan_load

    start = time.perf_counter()
    plan = plan_load(config.model_path)  # refuses a build this CPU cannot run, before it faults
    llama = new_llama(
        plan.use_extra_bufts,
        model_path=config.model_path,
        n_ctx=config.n_ctx,
        n_threads=config.n_threads,
        n_threads_batch=config.n_threads_batch,
        n_batch=config.n_batch,
        n_gpu_layers=config.n_gpu_layers,
        verbose=config.llama_verbose,
    )
    if config.prompt_cache_bytes > 0:
        llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=config.prompt_cache_bytes))
    template = config.chat_template or llama.metadata.get("tokenizer.chat_template")
    if not template:
        llama.close()
        raise ModelConfigError(
            f"{config.model_path!r} has no chat template in its metadata; pass chat_template="
            "'<jinja template>' to ChatLlamaCpp"
        )
    eos_id, bos_id = llama.token_eos(), llama.token_bos()
    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(eos_id) if eos_id != -1 else "",
        bos_token=llama._model.token_get_text(bos_id) if bos_id != -1 else "",
        stop_token_ids=[eos_id],
    )
    vocab = llama._model.vocab
    loaded = LoadedModel(
        config=config,
        llama=llama,
        formatter=formatter,
        is_eog=lambda token: bool(llama_cpp.llama_vocab_is_eog(vocab, token)),
        make_grammar=lambda schema: llama_cpp.LlamaGrammar.from_json_schema(schema, verbose=False),
        load_seconds=time.perf_counter() - start,
    )
    # Free the model when the LoadedModel goes, and at interpreter exit before module teardown,
    # never under a call that is still decoding (an abandoned call past its timeout).
    loaded.release = track(loaded, llama, loaded.lock)
    return loaded


class ModelPool:
    """Share loaded llama.cpp models within one process, keyed by their :class:`LoadConfig`.

    A pool is an ordinary object you create and pass around (there is no global one). Chat
    models built with the same pool and the same load parameters share one ``Llama`` (and its
    lock, so their calls take turns); sampling parameters may differ. Sharing saves RAM
    (mainly the KV cache: weights are memory-mapped and shared by the OS anyway), but roles
    with different prompts then evict each other's cached prefix. To keep one instance per
    role inside one pool, give each role its own ``pool_key``; or give each role its own pool,
    or none.

    Example:
        >>> from theraloop.agent.llm import make_chat_model
        >>> pool = ModelPool()
        >>> therapist = make_chat_model("fake", pool=pool)  # a llama.cpp spec shares its weights
        >>> len(pool)  # nothing is loaded until a llama.cpp model is first called
        0
    """

    def __init__(self, loader: Callable[[LoadConfig], LoadedModel] = _load) -> None:
        self._loader = loader
        self._models: dict[LoadConfig, LoadedModel] = {}
        self._lock = threading.Lock()

    def load(self, config: LoadConfig) -> LoadedModel:
        """Return the model loaded with ``config``, loading it on first request."""
        with self._lock:
            loaded = self._models.get(config)
            if loaded is None:
                loaded = self._models[config] = self._loader(config)
            return loaded

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, config: object) -> bool:
        return config in self._models

    def close(self) -> None:
        """Free every loaded model; later calls load them again."""
        with self._lock:
            models, self._models = list(self._models.values()), {}
        for loaded in models:
            loaded.close()


class _Meter:
    """A llama.cpp stopping criterion that counts generated tokens and enforces a deadline."""

    def __init__(self, prompt_tokens: int, deadline: float | None, is_eog: Callable[[int], bool]):
        self.prompt_tokens = prompt_tokens
        self.deadline = deadline
        self.generated = 0
        self.timed_out = False
        self._is_eog = is_eog

    def __call__(self, input_ids: Sequence[int], logits: Any) -> bool:
        generated = len(input_ids) - self.prompt_tokens
        if generated > 0 and not self._is_eog(int(input_ids[-1])):
            self.generated = max(self.generated, generated)
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            return True
        return EXITING.is_set()  # the interpreter is exiting: stop at this token


class _Criteria(list[Callable[..., bool]]):
    """llama.cpp stopping criteria: stop when any criterion says so (like StoppingCriteriaList)."""

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        return any([criterion(input_ids, logits) for criterion in self])


@dataclass(slots=True)
class _Request:
    """A call turned into ``create_completion`` arguments plus what the reply conversion needs."""

    tokens: list[int]
    kwargs: dict[str, Any]
    meter: _Meter
    cache_read: int
    tool_mode: ToolMode | None
    timeout: float | None
    tool_names: tuple[str, ...] = ()


class ChatLlamaCpp(BaseChatModel):
    """Chat with a local GGUF model through llama.cpp, in-process and offline.

    Supports system/user/assistant/tool messages with the GGUF's chat template, token
    streaming, stop sequences, temperature/top-p/top-k/seed, a generation timeout, exact usage
    (including ``cache_read`` prompt tokens), structured output through a JSON-schema grammar,
    and tool calling (forced calls through a grammar; ``auto`` through Qwen/Hermes
    ``<tool_call>`` tags). Streams with tools bound are delivered as one chunk.

    ``max_retries`` is accepted for interface parity and ignored: local inference does not fail
    transiently. ``timeout`` bounds decoding only; prompt processing is not interrupted.

    Example:
        >>> from theraloop.agent.llm import ChatLlamaCpp, ensure_gguf
        >>> model = ChatLlamaCpp(model_path=ensure_gguf("local-small"), max_tokens=16)
        >>> model.invoke("Say hi").content  # doctest: +SKIP
        'Hi there!'
    """

    model_config = ConfigDict(extra="forbid")

    model_path: str
    """Path of the GGUF file (see :func:`theraloop.agent.llm.ensure_gguf` for the embedded ones)."""
    model: str = ""
    """Model name for traces; defaults to the file name without ``.gguf``."""
    n_ctx: int = Field(default=4096, ge=64)
    """Context window in tokens (prompt plus reply)."""
    n_threads: int = Field(default=2, ge=1)
    """CPU threads for generation."""
    n_threads_batch: int | None = Field(default=None, ge=1)
    """CPU threads for prompt processing; defaults to ``n_threads``."""
    n_batch: int = Field(default=512, ge=1)
    """Prompt tokens evaluated per batch."""
    n_gpu_layers: int = 0
    """Layers to offload when llama.cpp was built with GPU support."""
    chat_template: str | None = None
    """Jinja chat template overriding the one stored in the GGUF."""
    prompt_cache_bytes: int = Field(default=0, ge=0)
    """Capacity of llama.cpp's ``LlamaRAMCache`` of saved states; 0 relies on KV prefix reuse."""
    llama_verbose: bool = False
    """Let llama.cpp print its load and timing logs."""
    reuse_kv_prefix: bool = True
    """Re-use the prompt prefix already in the KV cache. Turn off for bit-exact repeatability:
    llama.cpp's float results depend slightly on how a prompt was split into batches, so a
    warm cache can change a greedy reply; off, every call evaluates its whole prompt."""
    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature; 0 is greedy."""
    max_tokens: int | None = Field(default=256, ge=1)
    """Most tokens to generate; ``None`` runs to the end of the context."""
    top_p: float = Field(default=0.8, gt=0.0, le=1.0)
    """Nucleus sampling mass (Qwen2.5's recommended 0.8)."""
    top_k: int = Field(default=20, ge=0)
    """Sample among the k likeliest tokens (Qwen2.5's recommended 20)."""
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    """Drop tokens below this fraction of the top token's probability."""
    repeat_penalty: float = Field(default=1.05, gt=0.0)
    """Penalty on recently repeated tokens (Qwen2.5's recommended 1.05)."""
    seed: int | None = None
    """Sampling seed; with a seed, the same prompt and parameters give the same reply."""
    stop: list[str] | None = None
    """Stop sequences applied to every call (call-time ``stop`` adds to them)."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds a generation may decode before it is stopped with ModelTimeoutError."""
    max_retries: int = Field(default=0, ge=0)
    """Accepted for interface parity; ignored (wrap with ``.with_retry()`` if wanted)."""
    streaming: bool = False
    """Make ``invoke`` stream internally (callbacks then see tokens as they come)."""
    pool: ModelPool | None = Field(default=None, exclude=True)
    """Share loaded models with other chat models; ``None`` gives this object its own."""
    pool_key: str = ""
    """Within a pool, models with different keys get different ``Llama`` instances."""

    _own: LoadedModel | None = PrivateAttr(default=None)
    _own_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @field_validator("model_path", mode="before")
    @classmethod
    def _path_to_str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @model_validator(mode="after")
    def _check_path(self) -> Self:
        path = Path(self.model_path).expanduser()
        if not path.is_file():
            raise ModelConfigError(
                f"model_path={self.model_path!r} is not a file; pass a GGUF path, or use "
                "theraloop.agent.llm.ensure_gguf('local') / make_chat_model('local') for the "
                "embedded model"
            )
        self.model_path = str(path.resolve())
        if not self.model:
            self.model = path.name.removesuffix(".gguf")
        return self

    # ----------------------------------------------------------------- LangChain plumbing

    @property
    def _llm_type(self) -> str:
        return "llamacpp-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "min_p": self.min_p,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=PROVIDER,
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop if stop is not None else self.stop
        if stops:
            params["ls_stop"] = stops
        return params

    @property
    def load_config(self) -> LoadConfig:
        """The load parameters, which are also this model's key in a :class:`ModelPool`."""
        return LoadConfig(
            model_path=self.model_path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads_batch or self.n_threads,
            n_batch=self.n_batch,
            n_gpu_layers=self.n_gpu_layers,
            chat_template=self.chat_template,
            prompt_cache_bytes=self.prompt_cache_bytes,
            llama_verbose=self.llama_verbose,
            pool_key=self.pool_key,
        )

    def load(self) -> LoadedModel:
        """Load the model now (it otherwise loads on first call) and return it."""
        if self.pool is not None:
            return self.pool.load(self.load_config)
        with self._own_lock:
            if self._own is None:
                self._own = _load(self.load_config)
            return self._own

    # ----------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunk = self._complete(messages, stop, kwargs)
        message = message_chunk_to_message(chunk.message)
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=chunk.generation_info)]
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if kwargs.get("tools") and kwargs.get("tool_choice") != "none":
            # Tool calls are parsed from the whole text, so deliver it as one chunk.
            yield self._complete(messages, stop, kwargs)
            return
        loaded = self.load()
        with loaded.lock:
            request = self._prepare(loaded, messages, stop, kwargs)
            stream = loaded.llama.create_completion(request.tokens, stream=True, **request.kwargs)
            try:
                for payload in stream:
                    last = payload["choices"][0].get("finish_reason") is not None
                    if last:
                        self._raise_if_timed_out(request)
                    chunk = completion_to_chunk(
                        payload,
                        model_name=self.model,
                        usage=self._usage(request) if last else None,
                    )
                    if run_manager and chunk.text:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            finally:
                stream.close()

    def _complete(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatGenerationChunk:
        """Generate a whole reply and return it as one last chunk."""
        loaded = self.load()
        with loaded.lock:
            request = self._prepare(loaded, messages, stop, kwargs)
            payload = loaded.llama.create_completion(request.tokens, stream=False, **request.kwargs)
        self._raise_if_timed_out(request)
        return completion_to_chunk(
            payload,
            model_name=self.model,
            usage=self._usage(request),
            tool_mode=request.tool_mode,
            tool_names=request.tool_names,
        )

    def _prepare(
        self,
        loaded: LoadedModel,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
    ) -> _Request:
        """Render, tokenize and configure one call (caller holds ``loaded.lock``)."""
        kwargs.pop("stream", None)
        unknown = set(kwargs) - _CALL_OPTIONS
        if unknown:
            raise ModelConfigError(
                f"ChatLlamaCpp got unsupported call options {sorted(unknown)!r}; "
                f"accepted: {sorted(_CALL_OPTIONS)!r}"
            )
        options = {name: kwargs.get(name, getattr(self, name, None)) for name in _CALL_OPTIONS}
        llama = loaded.llama
        chat = to_llama_messages(messages)
        if options["schema_prompt"]:
            # Appended last so the stable prefix of the conversation stays cached.
            chat.append({"role": "system", "content": options["schema_prompt"]})
        tools, tool_mode, grammar_schema = self._tool_plan(options)
        if options["response_format"] is not None:
            if grammar_schema is not None:
                raise ModelConfigError("use either response_format or forced tools, not both")
            grammar_schema = _response_format_schema(options["response_format"])
        rendered = loaded.formatter(messages=chat, tools=tools)
        tokens = llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        if len(tokens) >= self.n_ctx:
            raise ContextOverflowError(
                f"the prompt has {len(tokens)} tokens but n_ctx={self.n_ctx}; shorten the prompt "
                "or raise n_ctx"
            )
        timeout = options["timeout"]
        meter = _Meter(
            len(tokens),
            None if timeout is None else time.monotonic() + timeout,
            loaded.is_eog,
        )
        criteria: list[Callable[..., bool]] = [meter]
        if rendered.stopping_criteria is not None:
            criteria.extend(rendered.stopping_criteria)
        stops = [*(self.stop or []), *(stop or []), *_as_list(rendered.stop)]
        seed = options["seed"]
        create_kwargs: dict[str, Any] = {
            "max_tokens": options["max_tokens"] or -1,
            "temperature": options["temperature"],
            "top_p": options["top_p"],
            "top_k": options["top_k"],
            "min_p": options["min_p"],
            "repeat_penalty": options["repeat_penalty"],
            "stop": [s for s in dict.fromkeys(stops) if s],
            "seed": seed,
            "model": self.model,
            "stopping_criteria": _Criteria(criteria),
            "grammar": None if grammar_schema is None else _grammar(loaded, grammar_schema),
        }
        if not self.reuse_kv_prefix:
            llama.reset()
        cache_read = _common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        names = tuple(t["function"]["name"] for t in tools or ())
        return _Request(list(tokens), create_kwargs, meter, cache_read, tool_mode, timeout, names)

    @staticmethod
    def _tool_plan(
        options: Mapping[str, Any],
    ) -> tuple[list[dict[str, Any]] | None, ToolMode | None, dict[str, Any] | None]:
        """Return the tools to render, how calls come back, and the grammar forcing a call."""
        tools = options["tools"]
        choice = options["tool_choice"]
        if not tools or choice == "none":
            return None, None, None
        if choice in (None, "auto"):
            return list(tools), "auto", None
        if choice in ("any", "required", True):
            chosen = list(tools)
        else:
            name = choice if isinstance(choice, str) else _tool_choice_name(choice)
            chosen = [t for t in tools if t["function"]["name"] == name]
            if not chosen:
                names = [t["function"]["name"] for t in tools]
                raise ModelConfigError(f"tool_choice={choice!r} names no bound tool; have {names}")
        return list(tools), "forced", forced_tool_schema(chosen)

    def _usage(self, request: _Request) -> Any:
        return make_usage(len(request.tokens), request.meter.generated, request.cache_read)

    @staticmethod
    def _raise_if_timed_out(request: _Request) -> None:
        if request.meter.timed_out:
            raise ModelTimeoutError(
                f"generation stopped after {request.timeout} s (timeout) with "
                f"{request.meter.generated} tokens; raise timeout or lower max_tokens"
            )

    # ----------------------------------------------------------------- tools and schemas

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in OpenAI format; the model is shown them through its chat template.

        ``tool_choice`` may be ``"auto"`` (default: the model decides, calls are parsed from
        ``<tool_call>`` tags), ``"none"``, ``"any"``/``"required"``/``True`` (a grammar forces
        exactly one call to one of the tools) or a tool name / ``{"function": {"name": ...}}``
        (a grammar forces that tool). Forced mode makes one call per reply.
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        schema_in_prompt: bool = True,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable whose output is ``schema`` filled in by the model.

        ``json_schema`` (and ``function_calling``, treated the same) constrain decoding with a
        llama.cpp grammar built from the schema, so the reply is always schema-shaped JSON;
        ``json_mode`` only forces some JSON object and leaves the shape to the prompt.

        Args:
            schema: A pydantic model (output: an instance), or a TypedDict, OpenAI tool or
                JSON-schema dict (output: a dict).
            method: How to constrain the reply, see above.
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on a
                parse error.
            strict: Accepted for compatibility; the grammar is always strict.
            schema_in_prompt: Append a short system message with the schema after the
                conversation, so a small model also sees field descriptions (the grammar
                alone only enforces the shape). Appended last to keep the cached prefix.
            **kwargs: Not supported; present to give a clear error.

        Raises:
            ValueError: ``method`` or a keyword argument is not supported.
        """
        if kwargs:
            raise ValueError(f"with_structured_output got unsupported arguments {kwargs!r}")
        if method not in ("json_schema", "function_calling", "json_mode"):
            raise ValueError(
                f"method={method!r} is not supported; use 'json_schema', 'function_calling' "
                "or 'json_mode'"
            )
        json_schema = schema_to_json_schema(schema)
        response_format: dict[str, Any] = {"type": "json_object"}
        if method != "json_mode":
            response_format["schema"] = json_schema
        bound: dict[str, Any] = {
            "response_format": response_format,
            "ls_structured_output_format": {
                "kwargs": {"method": method, "strict": strict},
                "schema": schema,
            },
        }
        if schema_in_prompt and method != "json_mode":
            bound["schema_prompt"] = (
                "Reply with one JSON object that matches this JSON schema, and nothing else:\n"
                + json.dumps(json_schema, ensure_ascii=False)
            )
        llm = self.bind(**bound)
        parser: Runnable[Any, Any]
        if is_basemodel_subclass(schema):  # pydantic v2 or v1 model
            parser = PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
        else:
            parser = JsonOutputParser()
        if not include_raw:
            return llm | parser
        parse = RunnablePassthrough.assign(
            parsed=lambda x: parser.invoke(x["raw"]), parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )


def _response_format_schema(response_format: Mapping[str, Any]) -> dict[str, Any]:
    """Return the JSON schema a ``response_format`` asks for (``{}`` for any JSON object)."""
    kind = response_format.get("type")
    if kind == "json_object":
        return dict(response_format.get("schema") or {"type": "object"})
    if kind == "json_schema":  # OpenAI's shape: {"json_schema": {"schema": ...}}
        return dict(response_format["json_schema"]["schema"])
    raise ModelConfigError(
        f"response_format={response_format!r} is not supported; use "
        "{'type': 'json_object', 'schema': {...}}"
    )


def _grammar(loaded: LoadedModel, schema: Mapping[str, Any]) -> LlamaGrammar:
    """Return the (cached) llama.cpp grammar that only admits JSON matching ``schema``."""
    key = json.dumps(schema, sort_keys=True)
    grammar = loaded.grammars.get(key)
    if grammar is None:
        try:
            grammar = loaded.make_grammar(json.dumps(schema))
        except Exception as error:  # the converter raises bare Exceptions on odd schemas
            raise ModelConfigError(
                f"llama.cpp cannot turn this JSON schema into a grammar: {error}; schema={key}"
            ) from error
        loaded.grammars[key] = grammar
    return grammar


def _common_prefix(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """Count the leading tokens the KV cache already holds (llama.cpp re-uses them)."""
    count = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        count += 1
    return count


def _tool_choice_name(choice: Mapping[str, Any]) -> str | None:
    function = choice.get("function")
    if isinstance(function, Mapping):
        return function.get("name")
    return choice.get("name")


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
