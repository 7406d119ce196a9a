"""Composition root helpers: turn :class:`Settings` into built models, stores and checkpointers.

Heavy libraries (chromadb, torch, llama.cpp, psycopg) are imported here, not at package import.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import ExitStack
from typing import Any

from langchain_core.language_models import BaseChatModel

from theraloop.agent.components import Components
from theraloop.agent.settings import Settings
from theraloop.agent.state import checkpoint_serde
from theraloop.memory.clock import Clock

__all__ = ["build_components", "open_persistence", "flush_erased", "uses_embedded_stores"]

_PG_SETUP_LOCK = 7_140_527_301  # advisory-lock key that serializes theraloop's schema setup
_PG_SETUP_WAIT_S = 300.0


def open_persistence(settings: Settings, stack: ExitStack) -> tuple[Any, Any]:
    """Return ``(checkpointer, records_store)``: Postgres when configured, else SQLite files."""
    if settings.checkpoint_url:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.store.postgres import PostgresStore

        saver = stack.enter_context(PostgresSaver.from_conn_string(settings.checkpoint_url))
        store = stack.enter_context(PostgresStore.from_conn_string(settings.checkpoint_url))
        # Workers starting together deadlock in the migrations (CREATE INDEX CONCURRENTLY waits
        # for every open transaction, including the other worker's): run them one at a time. The
        # lock is polled, never waited on: a waiting statement is itself an open transaction.
        with psycopg.connect(settings.checkpoint_url, autocommit=True) as conn:
            deadline = time.monotonic() + _PG_SETUP_WAIT_S
            try_lock = "SELECT pg_try_advisory_lock(%s)"
            while not conn.execute(try_lock, (_PG_SETUP_LOCK,)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process held theraloop's schema-setup lock for "
                        f"{_PG_SETUP_WAIT_S:.0f} s; is a worker stuck in its start-up?"
                    )
                time.sleep(0.1)
            try:
                saver.setup()
                store.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_PG_SETUP_LOCK,))
        return saver, store
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.store.sqlite import SqliteStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ckpt = sqlite3.connect(settings.data_dir / "checkpoints.sqlite", check_same_thread=False)
    stack.callback(ckpt.close)
    ckpt.execute("PRAGMA journal_mode=WAL")
    ckpt.execute("PRAGMA secure_delete=ON")  # erased rows are zeroed, not left in free pages
    # WAL + NORMAL: every commit survives a process crash (SIGKILL); only an OS crash or power cut
    # may roll back the last commits, never corrupt. FULL would fsync each of a turn's ~9 commits.
    ckpt.execute("PRAGMA synchronous=NORMAL")
    saver = SqliteSaver(ckpt, serde=checkpoint_serde())
    saver.setup()
    rec = sqlite3.connect(
        settings.data_dir / "records.sqlite", check_same_thread=False, isolation_level=None
    )
    stack.callback(rec.close)
    rec.execute("PRAGMA journal_mode=WAL")
    rec.execute("PRAGMA secure_delete=ON")
    rec.execute("PRAGMA synchronous=NORMAL")
    store = SqliteStore(rec)
    store.setup()
    return saver, store


def flush_erased(*stores: Any) -> None:
    """Push erased rows out of SQLite's write-ahead log so no copy of them stays on disk.

    With ``secure_delete`` on, deleted content is zeroed in the database pages; the WAL still
    holds the pages as they were until a checkpoint, so truncate it. Non-SQLite stores are skipped
    (PostgreSQL reclaims dead rows with VACUUM; see the README, "Data and privacy").
    """
    from contextlib import nullcontext

    for store in stores:
        conn = getattr(store, "conn", None)
        if isinstance(conn, sqlite3.Connection):
            with getattr(store, "lock", None) or nullcontext():
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def uses_embedded_stores(settings: Settings) -> bool:
    """Return whether ``settings`` keep a store (SQLite or Chroma) inside ``data_dir``."""
    return settings.checkpoint_url is None or (settings.use_memory and settings.chroma_url is None)


def build_components(
    settings: Settings,
    *,
    clock: Clock,
    models: dict[str, BaseChatModel],
    embedder: Any | None = None,
) -> Components:
    """Build every dependency of :class:`theraloop.agent.TherapistAgent` from settings."""
    from theraloop.agent.llm import make_role_model
    from theraloop.agent.perception import LLMPerceiver
    from theraloop.agent.perception_heads import default_perceiver
    from theraloop.agent.safety import ReplyGuard, RiskAssessor
    from theraloop.memory import CachingEmbedder, MemoryStore, MiniLMEmbedder, open_chroma_client
    from theraloop.memory.datadir import CHROMA_DIR, TRACE_DIR

    stack = ExitStack()

    # A role not given in ``models`` gets its own llama.cpp instance, and so its own KV cache.
    therapist = models.get("therapist") or make_role_model(settings, "therapist")
    supervisor = models.get("supervisor") or make_role_model(settings, "supervisor")
    safety = models.get("safety") or make_role_model(settings, "safety")
    embedder = embedder if embedder is not None else MiniLMEmbedder()
    if not isinstance(embedder, CachingEmbedder):
        # perception, risk assessment and memory each embed the same client text in a turn
        embedder = CachingEmbedder(embedder, max_items=20_000)
    fast = default_perceiver(embedder)  # learned heads with MiniLM, prototypes otherwise
    timeout_s = settings.model_timeout_s
    perception = models.get("perception") or make_role_model(settings, "perception")
    if perception is not None:
        perceiver: Any = LLMPerceiver(perception, fallback=fast, timeout_s=timeout_s)
    else:
        perceiver = fast
    if uses_embedded_stores(settings):
        from theraloop.agent._dirlock import lock_data_dir

        stack.callback(lock_data_dir(settings.data_dir))  # one process per embedded data dir
    try:
        checkpointer, records_store = open_persistence(settings, stack)
        memory = None
        if settings.use_memory:
            chroma = (
                open_chroma_client(url=settings.chroma_url)
                if settings.chroma_url
                else open_chroma_client(path=settings.data_dir / CHROMA_DIR)
            )
            memory = MemoryStore(
                client=chroma,
                embedder=embedder,
                clock=clock,
                trace_dir=settings.data_dir / TRACE_DIR,
            )
    except BaseException:
        stack.close()  # the data-dir lock and any connection opened so far
        raise
    return Components(
        therapist_model=therapist,
        supervisor_model=supervisor,
        records_store=records_store,
        checkpointer=checkpointer,
        embedder=embedder,
        perceiver=perceiver,
        assessor=RiskAssessor(embedder, chat_model=safety, model_timeout_s=timeout_s),
        guard=ReplyGuard(),
        memory=memory,
        resources=stack,
    )
