"""What each client of a run is built from: the therapist agent and the client's chat model.

Built once per run and shared by its clients: one sentence embedder behind a text -> vector cache,
and one :class:`~theraloop.agent.llm.ModelPool` per model role, so local llama.cpp weights load
once per run rather than once per client. Role models are built by the agent's own rule
(:func:`theraloop.agent.llm.make_role_model`), so a simulated agent runs as a deployed one does.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theraloop.memory.clock import Clock
from theraloop.simulations.config import RunConfig, ablation_settings
from theraloop.simulations.dynamics import rng_for
from theraloop.simulations.job import AgentFactory, ClientModelFactory, Therapist
from theraloop.simulations.profiles import ClientProfile

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from theraloop.agent import Settings
    from theraloop.agent.llm import ModelPool, ModelRole
    from theraloop.memory import Embedder

__all__ = ["default_agent_factory", "agent_settings_kwargs", "default_client_model_factory"]


class _SharedEmbedder:
    """Load the sentence embedder once per run, on first use, cached for every client's agent."""

    def __init__(self, embedder: Embedder | None) -> None:
        self._embedder = _cached(embedder) if embedder is not None else None
        self._lock = threading.Lock()

    def get(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                from theraloop.memory import MiniLMEmbedder

                self._embedder = _cached(MiniLMEmbedder())
            return self._embedder


def _cached(embedder: Embedder) -> Embedder:
    from theraloop.memory import CachingEmbedder

    return embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)


class _RoleModels:
    """Build every agent's role models on run-level pools: llama.cpp weights load once per role.

    Passed to ``TherapistAgent.from_settings(models=...)``, which exists for exactly this: many
    agents sharing loaded models. Each role keeps its own pool (and so its own KV cache), as the
    agent does; agents of parallel workers take turns on a role's model.
    """

    _ROLES: tuple[ModelRole, ...] = ("therapist", "supervisor", "safety")

    def __init__(self) -> None:
        self._pools: dict[str, ModelPool] = {}
        self._lock = threading.Lock()

    def _pool(self, role: ModelRole) -> ModelPool:
        from theraloop.agent.llm import ModelPool

        with self._lock:
            return self._pools.setdefault(role, ModelPool())

    def build(self, settings: Settings) -> dict[str, BaseChatModel]:
        from theraloop.agent.llm import make_role_model

        out: dict[str, BaseChatModel] = {}
        for role in self._ROLES:
            model = make_role_model(settings, role, pool=self._pool(role))
            if model is not None:
                out[role] = model
        return out


def default_agent_factory(embedder: Embedder | None = None) -> AgentFactory:
    """Return a factory building the real :class:`~theraloop.TherapistAgent` from the run config.

    One embedder (``embedder`` or MiniLM loaded on first use) is shared by all agents, behind a
    text -> vector cache: every agent embeds the same prototype and example texts when built, so
    later agents reuse the first one's vectors (identical results, much faster start). Role
    models are built on run-level pools, so local weights are loaded once per run, not per client.
    """
    shared = _SharedEmbedder(embedder)
    roles = _RoleModels()

    def factory(data_dir: Path, config: RunConfig, clock: Clock) -> Therapist:
        from theraloop.agent import Settings, TherapistAgent

        settings = Settings(**agent_settings_kwargs(config, data_dir))
        return TherapistAgent.from_settings(
            settings, clock=clock, embedder=shared.get(), models=roles.build(settings)
        )

    return factory


def agent_settings_kwargs(config: RunConfig, data_dir: Path) -> dict[str, Any]:
    """Return the keyword arguments of the agent ``Settings`` for one client of a run."""
    return {
        "data_dir": data_dir,
        "therapist_model": config.therapist_model,
        "client_model": config.client_model,
        "judge_model": config.judge_model,
        "seed": config.seed,
        **ablation_settings(config.ablation),
    }


def default_client_model_factory(config: RunConfig) -> ClientModelFactory:
    """Build one client chat model per profile; llama.cpp weights are loaded once per run."""
    pools: list[ModelPool] = []
    lock = threading.Lock()

    def build(profile: ClientProfile) -> BaseChatModel:
        from theraloop.agent.llm import ModelPool, make_chat_model

        with lock:
            if not pools:
                pools.append(ModelPool())
        seed = rng_for(config.seed, profile.id, "client-model").randrange(2**31)
        return make_chat_model(
            config.client_model, temperature=0.7, seed=seed, max_tokens=120, pool=pools[0]
        )

    return build
