"""Closed vocabularies shared by the catalog, the policy and the agent's perception.

They live here, at the bottom layer, so ``theraloop.agent.perception`` and the policy agree on one
definition instead of two lists that drift apart.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, get_args

__all__ = [
    "Emotion",
    "EMOTIONS",
    "EmotionFamily",
    "EMOTION_FAMILY",
    "emotion_family",
    "Reaction",
    "REACTIONS",
    "TreatmentStage",
    "STAGES",
]

Emotion = Literal[
    "anxiety",
    "fear",
    "depression",
    "sadness",
    "anger",
    "disgust",
    "shame",
    "guilt",
    "joy",
    "neutral",
]
"""Emotion labels theraloop perceives.

ESConv's emotion types (the vocabulary of the emotional-support data the field measures on) with
three rare near-synonyms merged into their nearest neighbour (nervousness -> anxiety,
pain -> sadness, jealousy -> anger), plus ``joy`` and ``neutral`` so the agent can register
improvement and small talk instead of forcing a negative label on every message.
"""

EMOTIONS: tuple[Emotion, ...] = get_args(Emotion)

EmotionFamily = Literal["anxious", "low", "hostile", "self_conscious", "positive", "neutral"]
"""Coarse groups the policy reasons with: emotions in one family call for the same moves."""

EMOTION_FAMILY: MappingProxyType[str, EmotionFamily] = MappingProxyType(
    {
        "anxiety": "anxious",
        "fear": "anxious",
        "depression": "low",
        "sadness": "low",
        "anger": "hostile",
        "disgust": "hostile",
        "shame": "self_conscious",
        "guilt": "self_conscious",
        "joy": "positive",
        "neutral": "neutral",
        # ESConv's original names, accepted so data labelled with them maps without a table.
        "nervousness": "anxious",
        "pain": "low",
        "jealousy": "hostile",
    }
)


def emotion_family(emotion: str) -> EmotionFamily:
    """Return the coarse family of an emotion label, ``neutral`` for labels it does not know.

    Unknown labels fall back to ``neutral`` rather than raising because perception may come from
    an external model with its own vocabulary; the policy then simply uses no emotion-specific
    preference.
    """
    return EMOTION_FAMILY.get(emotion.strip().lower(), "neutral")


Reaction = Literal["engaged", "resistant", "off_topic", "ambivalent"]
"""How the client took the last therapist turn (TheraMind's reaction classes)."""

REACTIONS: tuple[Reaction, ...] = get_args(Reaction)

TreatmentStage = Literal["exploration", "insight", "action"]
"""Hill's helping-skills stages: understand the problem, deepen it, then change something."""

STAGES: tuple[TreatmentStage, ...] = get_args(TreatmentStage)
