"""Fixtures for simulation tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.simulations.sim_standin import StandInTherapist
from theraloop.simulations.runner import RunConfig


@pytest.fixture
def standin_factory():
    """Return ``make(**kwargs)`` -> an agent factory building :class:`StandInTherapist`."""

    def make(**kwargs: Any):
        def factory(data_dir: Path, config: RunConfig, clock: Any) -> StandInTherapist:
            return StandInTherapist(data_dir, config, clock, **kwargs)

        return factory

    return make


@pytest.fixture(scope="session")
def cached_minilm(minilm):
    """MiniLM behind the run's embedding cache, shared by every agent of the test session."""
    from theraloop.memory import CachingEmbedder

    return CachingEmbedder(minilm)
