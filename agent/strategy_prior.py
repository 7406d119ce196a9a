"""Build the learned next-strategy prior for a turn from the session so far.

The turn loop hands the policy the probability of each ESConv strategy label from the fitted
model of :mod:`theraloop.strategies.next_strategy`, computed from the agent's earlier strategies and
replies and the client's messages, the way ``benchmarks/strategy.py`` measured it on ESConv.
The model was fitted on MiniLM vectors; with any other embedder (the hashing stand-in of tests)
there is no prior and the policy uses its hand-set preferences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from theraloop.strategies import CATALOG, ClientRequest
from theraloop.strategies.next_strategy import (
    DIMENSIONS,
    EMBEDDER_NAME,
    NextStrategyFeatures,
    load_next_strategy_model,
)

__all__ = ["PastTurn", "learned_prior"]


class PastTurn(Protocol):
    """The parts of an earlier turn the prior reads (as in ``theraloop.agent.state.TurnRecord``)."""

    client_text: str
    reply: str
    strategy: str | None


class _Embedder(Protocol):
    name: str

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...


def learned_prior(
    turns: Sequence[PastTurn], client_text: str, request: ClientRequest, embedder: _Embedder
) -> dict[str, float] | None:
    """Return the probability of each ESConv label for this reply, or None without MiniLM.

    Args:
        turns: The session's earlier turns, oldest first.
        client_text: The client's message being answered.
        request: What that message asks for (:func:`theraloop.strategies.detect_request`).
        embedder: The session's sentence embedder (cached, so these texts cost nothing new).
    """
    if getattr(embedder, "name", None) != EMBEDDER_NAME:
        return None
    clients = [t.client_text for t in turns] + [client_text]
    last_reply = turns[-1].reply if turns and turns[-1].reply.strip() else None
    texts = clients + ([last_reply] if last_reply else [])
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
    client_vectors = vectors[: len(clients)]
    features = NextStrategyFeatures(
        previous_labels=tuple(
            CATALOG[t.strategy].esconv_label or "Others" for t in turns if t.strategy in CATALOG
        ),
        request=request,
        client_asks="?" in client_text,
        replied_since_client=False,
        client_vector=client_vectors[-1],
        client_mean_vector=client_vectors.mean(axis=0),
        last_reply_vector=vectors[-1] if last_reply else np.zeros(DIMENSIONS),
    )
    return load_next_strategy_model().probabilities(features)
