"""Suite-wide fixtures: offline guarantees and one shared MiniLM embedder."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

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
