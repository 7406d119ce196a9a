"""Score the PHQ-9 and GAD-7 self-report questionnaires by their published rules.

Efficacy in theraloop is measured, not asserted: the supervisor compares these totals across
sessions. Scoring follows Kroenke, Spitzer & Williams (2001) for the PHQ-9 and Spitzer et al.
(2006) for the GAD-7: each item is answered 0-3 for the last two weeks, the total is the sum,
and fixed cut-offs give the severity band. Both instruments are free to reproduce.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from theraloop.strategies.errors import StrategyInputError

__all__ = [
    "Instrument",
    "Severity",
    "InstrumentScore",
    "ANSWER_OPTIONS",
    "PHQ9_ITEMS",
    "GAD7_ITEMS",
    "score_phq9",
    "score_gad7",
]

Instrument = Literal["phq9", "gad7"]
Severity = Literal["minimal", "mild", "moderate", "moderately_severe", "severe"]

ANSWER_OPTIONS: tuple[str, ...] = (
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
)
"""Answer options of both instruments; the index is the item score."""

PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or your family "
    "down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
"""PHQ-9 items: "Over the last 2 weeks, how often have you been bothered by ..."."""

GAD7_ITEMS: tuple[str, ...] = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
"""GAD-7 items: "Over the last 2 weeks, how often have you been bothered by ..."."""

# (upper bound inclusive, band) in ascending order.
_PHQ9_BANDS: tuple[tuple[int, Severity], ...] = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (19, "moderately_severe"),
    (27, "severe"),
)
_GAD7_BANDS: tuple[tuple[int, Severity], ...] = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (21, "severe"),
)
_PHQ9_SUICIDE_ITEM = 8  # zero-based index of item 9


class InstrumentScore(BaseModel):
    """A scored questionnaire: the answers, the total, the band and any risk flag."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: Instrument = Field(description="Which questionnaire was scored.")
    items: tuple[int, ...] = Field(description="Item answers 0-3 in questionnaire order.")
    total: int = Field(ge=0, description="Sum of the item answers.")
    max_total: int = Field(description="Highest possible total (27 for PHQ-9, 21 for GAD-7).")
    severity: Severity = Field(description="Published severity band of the total.")
    risk_flag: bool = Field(
        default=False,
        description="PHQ-9 item 9 (thoughts of death or self-harm) answered above 0: needs a "
        "safety assessment whatever the total.",
    )


def _validate_items(items: Sequence[int], expected: int, name: str) -> tuple[int, ...]:
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise StrategyInputError(
            f"{name} answers must be a sequence of {expected} integers 0-3, got {items!r}"
        )
    if len(items) != expected:
        raise StrategyInputError(
            f"{name} needs exactly {expected} item answers, got {len(items)}: {list(items)!r}; "
            "answer every item (0 = not at all ... 3 = nearly every day)"
        )
    values: list[int] = []
    for position, value in enumerate(items, start=1):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise StrategyInputError(
                f"{name} item {position} must be an integer 0-3, got {value!r}"
            )
        if not 0 <= int(value) <= 3:
            raise StrategyInputError(
                f"{name} item {position} must be between 0 and 3, got {value!r} "
                "(0 = not at all, 1 = several days, 2 = more than half the days, "
                "3 = nearly every day)"
            )
        values.append(int(value))
    return tuple(values)


def _band(total: int, bands: tuple[tuple[int, Severity], ...]) -> Severity:
    for upper, severity in bands:
        if total <= upper:
            return severity
    raise AssertionError(f"total {total} beyond the last band")  # unreachable after validation


def score_phq9(items: Sequence[int]) -> InstrumentScore:
    """Score the nine PHQ-9 answers: total 0-27 and band (0-4 minimal ... 20-27 severe).

    Item 9 above zero sets ``risk_flag`` regardless of the total, because a low total does not
    rule out thoughts of self-harm.

    Raises:
        StrategyInputError: not exactly nine integer answers between 0 and 3.
    """
    values = _validate_items(items, len(PHQ9_ITEMS), "PHQ-9")
    total = sum(values)
    return InstrumentScore(
        instrument="phq9",
        items=values,
        total=total,
        max_total=3 * len(PHQ9_ITEMS),
        severity=_band(total, _PHQ9_BANDS),
        risk_flag=values[_PHQ9_SUICIDE_ITEM] > 0,
    )


def score_gad7(items: Sequence[int]) -> InstrumentScore:
    """Score the seven GAD-7 answers: total 0-21 and band (0-4 minimal ... 15-21 severe).

    Raises:
        StrategyInputError: not exactly seven integer answers between 0 and 3.
    """
    values = _validate_items(items, len(GAD7_ITEMS), "GAD-7")
    total = sum(values)
    return InstrumentScore(
        instrument="gad7",
        items=values,
        total=total,
        max_total=3 * len(GAD7_ITEMS),
        severity=_band(total, _GAD7_BANDS),
    )
