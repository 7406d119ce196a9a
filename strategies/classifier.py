"""Recognise which catalog strategy a therapist reply realises.

Used to check that the reply model did what the policy asked (strategy realization) and to count
reflections versus questions in simulated sessions (MITI-style). It needs no training data: a
reply is compared, by sentence-embedding similarity, with the catalog's own example replies, and
a few surface cues that are near-certain (a question mark, "it sounds like you feel", "you could
try") nudge the scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from theraloop.strategies.catalog import Strategy, load_catalog
from theraloop.strategies.errors import StrategyInputError

__all__ = ["SentenceEmbedder", "StrategyClassification", "StrategyClassifier"]


class SentenceEmbedder(Protocol):
    """The part of ``theraloop.memory.Embedder`` the classifier needs (local: no upward import)."""

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed several texts."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        ...


class StrategyClassification(BaseModel):
    """The strategy a reply most resembles, its ESConv label and the score of every strategy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(description="Best-matching catalog strategy id.")
    esconv_label: str | None = Field(description="ESConv label of that strategy.")
    scores: dict[str, float] = Field(description="Similarity plus cue score per strategy id.")


_QUESTION_IDS = frozenset(
    {"question", "open_question", "socratic_questioning", "decatastrophizing", "homework_review"}
)
_CUES: tuple[tuple[re.Pattern[str], tuple[str, ...], float], ...] = (
    (
        re.compile(
            r"\b(it )?(sounds|seems) (like|as if) (you|it)\b|\bi can (hear|see|imagine) (how|that)"
            r"|\byou (must )?(feel|felt|are feeling|'re feeling)\b",
            re.I,
        ),
        ("reflection_of_feelings", "complex_reflection"),
        0.12,
    ),
    (
        re.compile(
            r"^\s*(so|if i (understand|hear|have this|'ve got this)|you'?re saying|what i'?m "
            r"hearing)\b",
            re.I,
        ),
        ("restatement", "simple_reflection", "summarize"),
        0.12,
    ),
    (
        re.compile(
            r"\b(you (could|might|should|can) (try|consider|start|talk|ask|write|take|go|make)"
            r"|maybe (try|you could)|have you (tried|considered|thought about)|i (would )?"
            r"(suggest|recommend)|one thing that (might|may|could) help|why not|how about)\b",
            re.I,
        ),
        ("providing_suggestions", "behavioral_activation", "thought_record"),
        0.12,
    ),
    (
        re.compile(
            r"\b(i (went|have been|had|was|remember|used to|also)|me too|when i was|in my "
            r"(experience|life)|i('m| am) (moved|touched|sorry)|i find myself)\b",
            re.I,
        ),
        ("self_disclosure",),
        0.1,
    ),
    (
        re.compile(
            r"^\s*(hi|hello|hey|thanks?|thank you|you'?re welcome|good ?bye|bye|take care)\b",
            re.I,
        ),
        ("others",),
        0.12,
    ),
    (
        re.compile(
            r"\b(proud of you|courage|brave|strength|you('re| are) not alone|makes (complete |"
            r"total )?sense|(that'?s|it'?s) (completely |totally )?(normal|understandable|okay|ok)"
            r"|you did (well|great|the right))\b",
            re.I,
        ),
        ("affirmation_reassurance", "affirm"),
        0.1,
    ),
    (
        re.compile(
            r"\b(research|studies|study shows|it'?s common|many people|often|usually|"
            r"resources?|hotline|helpline|services?)\b",
            re.I,
        ),
        ("information",),
        0.08,
    ),
    (
        re.compile(r"\b(your (choice|decision)|up to you|your pace|you decide)\b", re.I),
        ("emphasize_autonomy",),
        0.12,
    ),
)


class StrategyClassifier:
    """Classify a therapist reply into a catalog strategy by example similarity and cues."""

    def __init__(self, embedder: SentenceEmbedder, *, top_k: int = 2) -> None:
        """Embed the catalog's example replies once.

        Args:
            embedder: Any object with ``embed_documents``/``embed_query`` (e.g. MiniLM).
            top_k: How many of a strategy's closest examples are averaged into its score.
        """
        self._embedder = embedder
        self._top_k = top_k
        self._catalog: dict[str, Strategy] = dict(load_catalog())
        texts: list[str] = []
        owners: list[str] = []
        for strategy in self._catalog.values():
            for example in strategy.examples:
                texts.append(example)
                owners.append(strategy.id)
        self._owners = np.array(owners)
        self._examples = _normalise(np.asarray(embedder.embed_documents(texts), dtype=np.float32))

    def classify(self, reply: str) -> StrategyClassification:
        """Return the catalog strategy the reply most resembles.

        Raises:
            StrategyInputError: the reply is empty or only whitespace.
        """
        if not isinstance(reply, str) or not reply.strip():
            raise StrategyInputError(f"reply must be non-empty text, got {reply!r}")
        query = _normalise(np.asarray([self._embedder.embed_query(reply)], dtype=np.float32))[0]
        similarities = self._examples @ query
        asks = reply.strip().endswith("?") or "?" in reply
        scores: dict[str, float] = {}
        for sid in self._catalog:
            own = np.sort(similarities[self._owners == sid])[::-1][: self._top_k]
            score = float(own.mean())
            if sid in _QUESTION_IDS:
                score += 0.1 if asks else -0.1
            scores[sid] = score
        for pattern, ids, bonus in _CUES:
            if pattern.search(reply):
                for sid in ids:
                    scores[sid] += bonus
        scores = {sid: round(value, 4) for sid, value in scores.items()}
        best = max(scores, key=lambda sid: scores[sid])
        return StrategyClassification(
            strategy=best, esconv_label=self._catalog[best].esconv_label, scores=scores
        )


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
