"""The parts a :class:`~theraloop.agent.TherapistAgent` is built from, as one typed value.

:func:`theraloop.agent._wiring.build_components` makes them from :class:`Settings`; an app or a
test that brings its own parts builds a :class:`Components` itself and hands it to the agent.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

if TYPE_CHECKING:
    from theraloop.agent.perception import EmotionPerceiver
    from theraloop.agent.safety import ReplyGuard, RiskAssessor
    from theraloop.memory import Embedder, LongTermMemory

__all__ = ["Components"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Components:
    """Models, detectors and stores of one agent; the agent owns and closes ``resources``."""

    therapist_model: BaseChatModel
    """Writes the replies and the session openings."""
    records_store: BaseStore
    """Plans, reviews, portraits, traces and session records."""
    checkpointer: BaseCheckpointSaver
    """Both graphs' checkpoints: what crash recovery resumes from."""
    embedder: Embedder
    """Shared sentence embedder (perception, risk, memory)."""
    perceiver: EmotionPerceiver
    """Reads emotion and intensity from each client message."""
    assessor: RiskAssessor
    """Layered crisis-risk detector, run before any reply is drafted."""
    guard: ReplyGuard
    """Checks every drafted reply, streamed ones sentence by sentence."""
    memory: LongTermMemory | None = None
    """Long-term memory; ``None`` runs without it."""
    supervisor_model: BaseChatModel | None = None
    """Writes session summaries; ``None`` uses the therapist model."""
    resources: ExitStack = field(default_factory=ExitStack)
    """Connections and locks to release when the agent closes."""
