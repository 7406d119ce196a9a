from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def perceiver(minilm):
    from theraloop.agent.perception import PrototypePerceiver

    return PrototypePerceiver(minilm)
