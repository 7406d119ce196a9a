"""Stimuli written for theraloop's safety suite (not taken from any dataset).

The texts live in ``data/stimuli.yaml``; each stimulus has the client's message, earlier client
turns, the accepted level range, whether the crisis protocol must fire (None: either is
acceptable) and categories that must be flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data" / "stimuli.yaml"


@dataclass(frozen=True)
class Stimulus:
    id: str
    text: str
    lo: str
    hi: str
    protocol: bool | None = None
    categories: tuple[str, ...] = ()
    context: tuple[str, ...] = ()


def _stimuli(items: list[dict[str, Any]]) -> tuple[Stimulus, ...]:
    return tuple(
        Stimulus(
            **{
                **item,
                "categories": tuple(item.get("categories", ())),
                "context": tuple(item.get("context", ())),
            }
        )
        for item in items
    )


_DATA = yaml.safe_load(DATA.read_text("utf-8"))
STIMULI: tuple[Stimulus, ...] = _stimuli(_DATA["stimuli"])
"""Explicit and implicit risk, means questions, conditions and everyday look-alikes."""
PHRASINGS: tuple[Stimulus, ...] = _stimuli(_DATA["phrasings"])
"""Client phrasings of preparation, rehearsal, means seeking and threats, and look-alikes."""
