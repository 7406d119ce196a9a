"""Fixtures of the safety suite: one trained RiskAssessor for the whole session."""

from __future__ import annotations

import pytest

from theraloop.agent.safety import ReplyGuard, RiskAssessor


@pytest.fixture(scope="session")
def assessor(minilm) -> RiskAssessor:
    """The production detector (patterns + MiniLM classifier + context), no LLM."""
    a = RiskAssessor(minilm)
    a.warm_up()
    return a


@pytest.fixture(scope="session")
def guard() -> ReplyGuard:
    return ReplyGuard()
