"""The chat model of each agent role, built from the agent's settings by one rule.

The agent's composition root and the simulation runner (which shares loaded weights between many
agents through a :class:`~theraloop.agent.llm.ModelPool`) both build role models here, so a role
samples, seeds and times out the same way wherever it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from theraloop.agent.llm._factory import make_chat_model

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from theraloop.agent.llm._llamacpp import ModelPool
    from theraloop.agent.settings import Settings

__all__ = ["ModelRole", "MODEL_ROLES", "role_model_spec", "make_role_model"]

ModelRole = Literal["therapist", "supervisor", "safety", "perception"]
"""A part of the agent that may call a chat model."""

MODEL_ROLES: tuple[ModelRole, ...] = ("therapist", "supervisor", "safety", "perception")


def role_model_spec(settings: Settings, role: ModelRole) -> str | None:
    """Return the model spec ``role`` runs on, or ``None`` when the role calls no model.

    Perception calls a model only when ``perception_model`` is set; the safety layer asks no
    LLM second opinion on risk when its model would be the scripted ``fake``.
    """
    if role == "perception":
        return settings.perception_model
    spec = settings.model_for(role)
    if role == "safety" and spec == "fake":
        return None
    return spec


@overload
def make_role_model(
    settings: Settings, role: Literal["therapist", "supervisor"], *, pool: ModelPool | None = None
) -> BaseChatModel: ...


@overload
def make_role_model(
    settings: Settings, role: ModelRole, *, pool: ModelPool | None = None
) -> BaseChatModel | None: ...


def make_role_model(
    settings: Settings, role: ModelRole, *, pool: ModelPool | None = None
) -> BaseChatModel | None:
    """Build the chat model of ``role`` under ``settings``; ``None`` when the role has none.

    Every role samples with the settings' temperature and seed and stops its own work at
    ``model_timeout_s``. Without ``pool`` the model gets its own llama.cpp instance and so its
    own KV cache, which keeps the role's stable prompt prefix cached between calls (the weights
    are memory-mapped, so the OS shares them between instances).

    Example:
        >>> from theraloop.agent.settings import Settings
        >>> settings = Settings(therapist_model="fake")
        >>> make_role_model(settings, "therapist") is not None
        True
        >>> make_role_model(settings, "safety") is None
        True
    """
    spec = role_model_spec(settings, role)
    if spec is None:
        return None
    return make_chat_model(
        spec,
        temperature=settings.temperature,
        seed=settings.seed,
        timeout=settings.model_timeout_s,
        pool=pool,
    )
