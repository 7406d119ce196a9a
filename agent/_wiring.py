"""Composition root helpers: turn :class:`Settings` into built models, stores and checkpointers.

Heavy libraries (chromadb, torch, llama.cpp, psycopg) are imported here, not at package import.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.settings import Settings
from memory.clock import Clock

__all__ = ["build_components", "open_persistence"]


def open_persistence(settings: Settings, stack: ExitStack) -> tuple[Any, Any]:
    """Return ``(checkpointer, records_store)``: Postgres when configured, else SQLite files."""
    if settings.checkpoint_url:
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.store.postgres import PostgresStore

        saver = stack.enter_context(PostgresSaver.from_conn_string(settings.checkpoint_url))
        saver.setup()
        store = stack.enter_context(PostgresStore.from_conn_string(settings.checkpoint_url))
        store.setup()
        return saver, store
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.store.sqlite import SqliteStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ckpt = sqlite3.connect(settings.data_dir / "checkpoints.sqlite", check_same_thread=False)
    stack.callback(ckpt.close)
    ckpt.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(ckpt)
    saver.setup()
    rec = sqlite3.connect(
        settings.data_dir / "records.sqlite", check_same_thread=False, isolation_level=None
    )
    stack.callback(rec.close)
    rec.execute("PRAGMA journal_mode=WAL")
    store = SqliteStore(rec)
    store.setup()
    return saver, store


def build_components(
    settings: Settings, *, clock: Clock, models: dict[str, BaseChatModel]
) -> dict[str, Any]:
    """Build every dependency of :class:`agent.TherapistAgent` from settings."""
    from agent.llm import ModelPool
    from agent.perception import LLMPerceiver, PrototypePerceiver
    from agent.safety import ReplyGuard, RiskAssessor
    from memory import MemoryStore, MiniLMEmbedder, open_chroma_client

    stack = ExitStack()
    pool = ModelPool()

    def model(role: str, spec: str) -> BaseChatModel:
        if role in models:
            return models[role]
        return pool.get(spec, temperature=settings.temperature, seed=settings.seed)

    therapist = model("therapist", settings.therapist_model)
    supervisor = model("supervisor", settings.model_for("supervisor"))
    safety_spec = settings.model_for("safety")
    safety = models.get("safety") or (None if safety_spec == "fake" else model("safety", safety_spec))
    embedder = MiniLMEmbedder()
    fast = PrototypePerceiver(embedder)
    if "perception" in models:
        perceiver: Any = LLMPerceiver(models["perception"], fallback=fast)
    elif settings.perception_model:
        perceiver = LLMPerceiver(model("perception", settings.perception_model), fallback=fast)
    else:
        perceiver = fast
    checkpointer, records_store = open_persistence(settings, stack)
    memory = None
    if settings.use_memory:
        chroma = (
            open_chroma_client(url=settings.chroma_url)
            if settings.chroma_url
            else open_chroma_client(path=settings.data_dir / "chroma")
        )
        memory = MemoryStore(
            client=chroma, embedder=embedder, clock=clock, trace_dir=settings.data_dir / "memory-trace"
        )
    return {
        "therapist_model": therapist,
        "supervisor_model": supervisor,
        "records_store": records_store,
        "checkpointer": checkpointer,
        "embedder": embedder,
        "perceiver": perceiver,
        "assessor": RiskAssessor(embedder, chat_model=safety),
        "guard": ReplyGuard(),
        "memory": memory,
        "resources": stack,
    }
