"""The reply-strategy instrument: which ESConv strategy a supporter reply realizes.

A linear SVM (scikit-learn ``LinearSVC``, C=0.1) over word 1-3-gram and character 2-5-gram
TF-IDF of the reply, its MiniLM vector, and five context features (cosine of the reply to the
client's last message, to the mean of the client's last three messages and to the supporter's
previous reply, the turn index, whether the client has spoken yet). It is fitted on ESConv's
train split each time a benchmark needs it (about a minute on 2 cores) and is a benchmark tool
only: ESConv text never reaches the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _esconv import load_dialogs, normalise_strategy

_EMBEDDING_WEIGHT = 2.0
_CONTEXT_WEIGHT = 3.0


@dataclass(frozen=True)
class ReplyInContext:
    """A supporter reply with the vectors of what came before it."""

    text: str
    vector: np.ndarray
    client_vectors: tuple[np.ndarray, ...]
    previous_reply: np.ndarray | None
    turn_index: int


def replies_in_context(
    path: str | Path, vectors: dict[str, np.ndarray]
) -> tuple[list[ReplyInContext], list[str]]:
    """Return every non-empty supporter reply of an ESConv file and its gold strategy."""
    replies: list[ReplyInContext] = []
    gold: list[str] = []
    for dialog in load_dialogs(path):
        clients: list[np.ndarray] = []
        previous: np.ndarray | None = None
        index = 0
        for turn in dialog["dialog"]:
            text = turn["text"].strip()
            if not text:
                continue
            if turn["speaker"] == "usr":
                clients.append(vectors[text])
                continue
            replies.append(ReplyInContext(text, vectors[text], tuple(clients), previous, index))
            gold.append(normalise_strategy(turn.get("strategy", "Others")))
            previous = vectors[text]
            index += 1
    return replies, gold


def _context(reply: ReplyInContext) -> np.ndarray:
    v = reply.vector
    last = float(v @ reply.client_vectors[-1]) if reply.client_vectors else 0.0
    recent = float(v @ np.mean(reply.client_vectors[-3:], axis=0)) if reply.client_vectors else 0.0
    before = float(v @ reply.previous_reply) if reply.previous_reply is not None else 0.0
    return np.array(
        [last, recent, before, min(reply.turn_index, 10) / 10, float(not reply.client_vectors)]
    )


class ReplyStrategyInstrument:
    """Fit once on labelled replies, then label replies with an ESConv strategy."""

    def __init__(self, replies: Sequence[ReplyInContext], labels: Sequence[str]) -> None:
        """Fit the TF-IDF vocabularies and the SVM on ``replies`` (ESConv train)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        texts = [r.text for r in replies]
        self._words = TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(texts)
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True
        ).fit(texts)
        self._svm = LinearSVC(C=0.1).fit(self._matrix(replies), list(labels))

    def _matrix(self, replies: Sequence[ReplyInContext]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        texts = [r.text for r in replies]
        dense = np.hstack(
            [
                _EMBEDDING_WEIGHT * np.array([r.vector for r in replies]),
                _CONTEXT_WEIGHT * np.array([_context(r) for r in replies]),
            ]
        )
        return hstack(
            [self._words.transform(texts), self._chars.transform(texts), csr_matrix(dense)]
        ).tocsr()

    def predict(self, replies: Sequence[ReplyInContext]) -> list[str]:
        """Return the ESConv strategy of each reply."""
        return [str(label) for label in self._svm.predict(self._matrix(replies))]
