"""Replay ESConv dialogs into next-strategy examples: the features before each supporter turn.

Shared by ``train_next_strategy.py`` (fits on train.json) and ``strategy.py`` (evaluates on
valid.json), so both read a dialog exactly the way the agent reads its own session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _esconv import load_dialogs, normalise_strategy

from theraloop.strategies import detect_request
from theraloop.strategies.next_strategy import DIMENSIONS, NextStrategyFeatures


@dataclass(frozen=True)
class NextStrategyExample:
    """One supporter turn: its gold label, the model features and the raw dialog state."""

    gold: str
    features: NextStrategyFeatures
    seeker: tuple[str, ...]
    history: tuple[str, ...]
    position: int
    length: int


def next_strategy_examples(
    path: str | Path, vectors: dict[str, np.ndarray]
) -> list[NextStrategyExample]:
    """Return every supporter turn of an ESConv file with what was known before it.

    Args:
        path: An ESConv JSON-lines file.
        vectors: Embedding of each utterance text (``_esconv.utterance_vectors``).
    """
    zeros = np.zeros(DIMENSIONS, dtype=np.float32)
    examples = []
    for dialog in load_dialogs(path):
        turns: list[dict[str, Any]] = dialog["dialog"]
        seeker: list[str] = []
        history: list[str] = []
        previous: list[str] = []
        last_reply = zeros
        last_speaker = ""
        for position, turn in enumerate(turns):
            text = turn["text"].strip()
            if turn["speaker"] == "usr":
                if text:
                    seeker.append(text)
                    history.append(text)
                last_speaker = "usr"
                continue
            gold = normalise_strategy(turn.get("strategy", "Others"))
            client = seeker[-1] if seeker else ""
            features = NextStrategyFeatures(
                previous_labels=tuple(previous),
                request=detect_request(client) if client else "none",
                client_asks="?" in client,
                replied_since_client=last_speaker == "sys",
                client_vector=vectors[client] if client else zeros,
                client_mean_vector=(
                    np.mean([vectors[s] for s in seeker], axis=0) if seeker else zeros
                ),
                last_reply_vector=last_reply,
            )
            examples.append(
                NextStrategyExample(
                    gold=gold,
                    features=features,
                    seeker=tuple(seeker),
                    history=tuple(history),
                    position=position,
                    length=len(turns),
                )
            )
            previous.append(gold)
            last_speaker = "sys"
            if text:
                history.append(text)
                last_reply = vectors[text]
    return examples
