"""Suite-wide fixtures: offline guarantees and one shared MiniLM embedder."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
"""Set before collection, so no test module can reach the Hugging Face Hub or send telemetry."""


def pytest_configure(config: pytest.Config) -> None:
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def minilm():
    """The real all-MiniLM-L6-v2 embedder, loaded once for the whole run."""
    from theraloop.memory import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture
def t0() -> datetime:
    return datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
