"""``assess_risk``: the default detector in one call, built once per process on first use."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from theraloop.agent.safety.detector import RiskAssessor
from theraloop.agent.safety.models import RiskAssessment

__all__ = ["assess_risk", "default_assessor"]

_lock = threading.Lock()
_assessor: RiskAssessor | None = None


def default_assessor() -> RiskAssessor:
    """Return the shared default detector: patterns, the learned reader on MiniLM, context."""
    global _assessor
    with _lock:
        if _assessor is None:
            from theraloop.memory import CachingEmbedder, MiniLMEmbedder

            # the risk reader and the condition reader read the same windows: embed them once
            assessor = RiskAssessor(CachingEmbedder(MiniLMEmbedder(), max_items=20_000))
            assessor.warm_up()
            _assessor = assessor
        return _assessor


def assess_risk(text: str, history: Sequence[str] | None = None) -> RiskAssessment:
    """Assess a client message with the default detector (no LLM call).

    Args:
        text: the client's message.
        history: the client's earlier messages in this conversation, oldest first, or ``None``.

    Raises:
        InvalidInputError: ``text`` or an item of ``history`` is not a string.
    """
    return default_assessor().assess(text, history)
