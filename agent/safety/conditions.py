"""Perceive psychosis, mania and OCD, and the cues of imminent suicide risk, from client words.

The rules are data (``agent/safety/data/conditions.yaml``) so a clinician can review them; this
module only matches them. :func:`perceive` reads the current message and a few earlier ones and
returns a frozen :class:`~theraloop.agent.safety.models.ConditionReading`; :func:`imminence_level`
turns its imminence cues plus the client's assessed self-directed level into the level those cues
support; :func:`condition_guidance` and :func:`steer_strategy` say how the reply must change.

Example:
    >>> perceive("The voices say I have to leave the city.").conditions
    ('hallucination',)
    >>> reading = perceive("It will be tonight.", ["The pistol is in the desk drawer."])
    >>> imminence_level(reading, "low")
    'imminent'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from theraloop.agent.safety.models import (
    CONDITION_KINDS,
    ConditionCue,
    ConditionKind,
    ConditionReading,
    ImminenceCue,
    RiskLevel,
    level_rank,
)

__all__ = [
    "ConditionRules",
    "load_rules",
    "perceive",
    "imminence_level",
    "condition_guidance",
    "steer_strategy",
]

_IMMINENCE_CUES: tuple[ImminenceCue, ...] = (
    "means_at_hand",
    "timing_now",
    "in_progress",
    "preparation",
    "farewell",
)


@dataclass(frozen=True, slots=True)
class _Condition:
    kind: ConditionKind
    label: str
    window: int
    sticky: bool
    min_weak: int
    strong: dict[str, tuple[re.Pattern[str], ...]]
    weak: dict[str, tuple[re.Pattern[str], ...]]
    guidance: str
    avoid_strategies: frozenset[str]
    prefer_strategy: str


@dataclass(frozen=True, slots=True)
class ConditionRules:
    """The compiled rules file: one entry per condition, and the imminence cue groups."""

    conditions: tuple[_Condition, ...]
    imminence_window: int
    imminence: dict[ImminenceCue, tuple[re.Pattern[str], ...]]


def _compile(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _groups(raw: Any) -> dict[str, tuple[re.Pattern[str], ...]]:
    return {name: _compile(pats) for name, pats in (raw or {}).items()}


def rules_from_mapping(data: dict[str, Any]) -> ConditionRules:
    """Compile the structure of ``conditions.yaml``; unknown condition names are refused."""
    conditions = []
    for kind, spec in data["conditions"].items():
        if kind not in CONDITION_KINDS:
            raise ValueError(f"unknown condition {kind!r}; use one of {CONDITION_KINDS}")
        conditions.append(
            _Condition(
                kind=kind,
                label=spec["label"],
                window=int(spec.get("window", 0)),
                sticky=bool(spec.get("sticky", False)),
                min_weak=int(spec.get("min_weak", 0)),
                strong=_groups(spec.get("strong")),
                weak=_groups(spec.get("weak")),
                guidance=" ".join(spec["guidance"].split()),
                avoid_strategies=frozenset(spec.get("avoid_strategies", ())),
                prefer_strategy=spec["prefer_strategy"],
            )
        )
    imm = data["imminence"]
    cues = {cue: _compile(imm.get(cue, ())) for cue in _IMMINENCE_CUES}
    return ConditionRules(
        conditions=tuple(conditions), imminence_window=int(imm["window"]), imminence=cues
    )


@lru_cache(maxsize=1)
def load_rules() -> ConditionRules:
    """Load the shipped rules file once."""
    text = (
        resources.files("theraloop.agent.safety")
        .joinpath("data/conditions.yaml")
        .read_text("utf-8")
    )
    return rules_from_mapping(yaml.safe_load(text))


def _find(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for rx in patterns:
        m = rx.search(text)
        if m is not None:
            return m
    return None


def _cue(
    condition: ConditionKind | str, group: str, m: re.Match[str], turn: int | None
) -> ConditionCue:
    return ConditionCue(
        condition=condition,  # type: ignore[arg-type]
        group=group,
        text=m.group(0),
        start=m.start(),
        end=m.end(),
        turn=turn,
    )


def _window(text: str, context: Sequence[str], size: int) -> list[tuple[int | None, str]]:
    start = max(0, len(context) - size)
    return [(i, context[i]) for i in range(start, len(context))] + [(None, text)]


def _read_condition(
    cond: _Condition, text: str, context: Sequence[str]
) -> tuple[ConditionCue, ...]:
    strong: list[ConditionCue] = []
    weak: dict[str, ConditionCue] = {}
    current = False
    for turn, message in _window(text, context, cond.window):
        for group, pats in cond.strong.items():
            m = _find(pats, message)
            if m is not None:
                strong.append(_cue(cond.kind, group, m, turn))
                current = current or turn is None
        for group, pats in cond.weak.items():
            m = _find(pats, message)
            if m is not None and (group not in weak or turn is None):
                weak[group] = _cue(cond.kind, group, m, turn)
    weak_now = any(c.turn is None for c in weak.values())
    held_by_weak = cond.min_weak > 0 and len(weak) >= cond.min_weak
    if strong and (current or cond.sticky):
        return tuple(strong) + tuple(weak.values())
    if held_by_weak and (weak_now or cond.sticky):
        return tuple(weak.values())
    return ()


def perceive(
    text: str, context: Sequence[str] = (), rules: ConditionRules | None = None
) -> ConditionReading:
    """Read the conditions and imminence cues in ``text`` and the client turns before it.

    ``context`` holds earlier client messages, oldest first. Timing cues ("tonight", "right
    now") count only in the current message; the other cues count within the rules' window.
    """
    rules = rules or load_rules()
    kinds: list[ConditionKind] = []
    cues: list[ConditionCue] = []
    for cond in rules.conditions:
        found = _read_condition(cond, text, context)
        if found:
            kinds.append(cond.kind)
            cues.extend(found)
    seen: list[ImminenceCue] = []
    for turn, message in _window(text, context, rules.imminence_window):
        for cue, pats in rules.imminence.items():
            if cue == "timing_now" and turn is not None:
                continue
            m = _find(pats, message)
            if m is not None:
                cues.append(_cue("imminence", cue, m, turn))
                if cue not in seen:
                    seen.append(cue)
    ordered = tuple(c for c in _IMMINENCE_CUES if c in seen)
    return ConditionReading(conditions=tuple(kinds), imminence=ordered, cues=tuple(cues))


def imminence_level(reading: ConditionReading, self_level: RiskLevel) -> RiskLevel:
    """Return the self-directed level the imminence cues support, given the client's level.

    ``self_level`` is the level the detector found for this turn and the conversation before
    it. The cues never raise risk on their own, except preparation together with a farewell:

    * an act under way (on the railing, pills already taken) with any ideation: ``imminent``;
    * timing now with the means at hand, after any ideation: ``imminent``;
    * timing now after a plan or intent (``high``): ``imminent``;
    * means at hand after active ideation (``moderate``): ``high``;
    * preparation or a farewell after any ideation, or both together: ``high``.
    """
    cues = set(reading.imminence)
    rank = level_rank(self_level)
    if rank >= level_rank("low") and "in_progress" in cues:
        return "imminent"
    if "timing_now" in cues and (
        (rank >= level_rank("low") and "means_at_hand" in cues) or rank >= level_rank("high")
    ):
        return "imminent"
    if rank >= level_rank("moderate") and "means_at_hand" in cues:
        return "high"
    farewell = {"preparation", "farewell"} & cues
    if (rank >= level_rank("low") and farewell) or len(farewell) == 2:
        return "high"
    return "none"


def condition_guidance(reading: ConditionReading, rules: ConditionRules | None = None) -> str:
    """Return the therapist-prompt instructions for the perceived conditions ('' when none)."""
    rules = rules or load_rules()
    return " ".join(c.guidance for c in rules.conditions if reading.has(c.kind))


def steer_strategy(
    reading: ConditionReading, chosen: str, rules: ConditionRules | None = None
) -> tuple[str, str] | None:
    """Return ``(strategy id, reason)`` replacing ``chosen`` when a condition rules it out.

    A policy tuned on ordinary sessions may pick reassurance for an OCD loop or suggestions for
    a delusion; the condition's preferred strategy is used instead. None when ``chosen`` fits.
    """
    rules = rules or load_rules()
    for cond in rules.conditions:
        if reading.has(cond.kind) and chosen in cond.avoid_strategies:
            reason = f"{cond.label}: {chosen} would collude, so {cond.prefer_strategy}"
            return cond.prefer_strategy, reason
    return None
