"""Cognitive distortions and core beliefs spotted in a client's own words (CBT case formulation).

High-precision patterns, not a classifier: the portrait should only list what the client
visibly said. Labels follow Beck/Burns' common distortion names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["DistortionKind", "DistortionFinding", "detect_distortions"]

DistortionKind = Literal[
    "all_or_nothing",
    "overgeneralization",
    "catastrophizing",
    "mind_reading",
    "fortune_telling",
    "should_statements",
    "labeling",
    "personalization",
    "emotional_reasoning",
    "core_belief",
]

_PATTERNS: tuple[tuple[DistortionKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        (
            "all_or_nothing",
            r"\b(completely|totally|entirely) (useless|ruined|failed|worthless)\b"
            r"|\beither .+ or i'?m\b",
        ),
        (
            "overgeneralization",
            r"\b(i|this|it) (always|never)\b"
            r"|\bnothing ever\b"
            r"|\beverything always\b"
            r"|\bno one ever\b",
        ),
        (
            "catastrophizing",
            r"\b(disaster|catastroph\w*|the worst|ruin(ed)? (my|everything)"
            r"|can'?t survive|end of the world)\b",
        ),
        (
            "mind_reading",
            r"\b(they|he|she|everyone|people) (must )?(think|thinks|know|knows) (i'?m|that i)\b",
        ),
        (
            "fortune_telling",
            r"\b(i'?ll never|it'?s going to go wrong|i know it will (fail|go badly)"
            r"|i'?m going to fail)\b",
        ),
        ("should_statements", r"\bi (should|must|have to|ought to) (be|have|always|never)\b"),
        (
            "labeling",
            r"\bi'?m (such )?an? (failure|loser|idiot|burden|fraud|mess)\b"
            r"|\bi'?m (stupid|pathetic|worthless)\b",
        ),
        ("personalization", r"\b(it'?s|it was) (all )?my fault\b|\bbecause of me\b"),
        (
            "emotional_reasoning",
            r"\bi feel (like )?(a failure|stupid|worthless), so\b|\bi feel it,? so it must\b",
        ),
        (
            "core_belief",
            r"\bi'?m (unlovable|worthless|not good enough|helpless|a failure|unwanted|broken)\b"
            r"|\bno one (could|will ever) love me\b",
        ),
    )
)


class DistortionFinding(BaseModel):
    """One distortion or core belief, with the client's words that show it."""

    model_config = ConfigDict(frozen=True)

    kind: DistortionKind
    quote: str


def detect_distortions(texts: Iterable[str]) -> list[DistortionFinding]:
    """Return each distortion kind found in the texts once, with the sentence that shows it."""
    found: dict[DistortionKind, DistortionFinding] = {}
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            for kind, pattern in _PATTERNS:
                if kind not in found and pattern.search(sentence):
                    found[kind] = DistortionFinding(kind=kind, quote=sentence.strip()[:160])
    return list(found.values())
