"""The hybrid score: how dense similarity, BM25 and retention combine into one rank.

``score = (w_dense * max(similarity, 0) + w_lexical * lexical) * (1 - w_ret + w_ret * R)``

Relevance is a weighted sum of the cosine similarity (meaning) and the BM25 score normalised by
the best candidate's (shared rare words: names, places, activities). Retention then damps it: a
forgotten memory (R -> 0) keeps ``1 - w_ret`` of its relevance, so decay reorders near-ties
without hiding strong old evidence. The defaults were tuned on the LoCoMo development half
(see ``benchmarks/locomo_retrieval.py``).

This module owns the score: the store computes the three raw signals, normalises BM25 with
:func:`normalised_lexical` and calls :func:`hybrid_scores` on its candidate arrays;
:func:`hybrid_score` is the same formula for one candidate.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["RankingPolicy", "hybrid_score", "hybrid_scores", "normalised_lexical"]


class RankingPolicy(BaseModel):
    """Weights of the hybrid score.

    Example:
        >>> policy = RankingPolicy()
        >>> hybrid_score(0.6, 1.0, 1.0, policy) > hybrid_score(0.6, 1.0, 0.0, policy)
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    dense_weight: float = Field(default=0.5, ge=0, allow_inf_nan=False)
    """Weight of the cosine similarity (negative similarities count as 0)."""
    lexical_weight: float = Field(default=0.5, ge=0, allow_inf_nan=False)
    """Weight of the normalised BM25 score."""
    retention_weight: float = Field(default=0.1, ge=0, le=1, allow_inf_nan=False)
    """Share of the relevance that depends on retention: 0 ignores decay, 1 makes it decisive."""

    @model_validator(mode="after")
    def _some_relevance(self) -> RankingPolicy:
        if self.dense_weight == 0 and self.lexical_weight == 0:
            raise ValueError("dense_weight and lexical_weight cannot both be 0; nothing would rank")
        return self


def normalised_lexical(bm25: np.ndarray) -> np.ndarray:
    """Return the candidates' BM25 scores divided by the best one (all 0 when none matches).

    Example:
        >>> normalised_lexical(np.array([2.0, 1.0, 0.0])).tolist()
        [1.0, 0.5, 0.0]
    """
    best = bm25.max()
    return bm25 / best if best > 0 else np.zeros_like(bm25)


def hybrid_scores(
    similarity: np.ndarray, lexical: np.ndarray, retention: np.ndarray, policy: RankingPolicy
) -> np.ndarray:
    """Return the hybrid score of each candidate (arrays of equal length, in candidate order).

    Example:
        >>> hybrid_scores(np.array([0.6, -0.2]), np.array([1.0, 0.0]), np.array([1.0, 1.0]),
        ...               RankingPolicy()).round(2).tolist()
        [0.8, 0.0]
    """
    relevance = (
        policy.dense_weight * np.clip(similarity, 0.0, None) + policy.lexical_weight * lexical
    )
    w = policy.retention_weight
    return relevance * (1.0 - w + w * retention)


def hybrid_score(
    similarity: float, lexical: float, retention: float, policy: RankingPolicy
) -> float:
    """Return the hybrid score of one candidate (:func:`hybrid_scores` for a single one)."""
    one = hybrid_scores(np.array([similarity]), np.array([lexical]), np.array([retention]), policy)
    return float(one[0])
