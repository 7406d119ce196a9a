"""Perceive psychosis, mania and OCD, and the cues of imminent suicide risk, from client words.

The rules are data (``agent/safety/data/conditions.yaml``) so a clinician can review them; this
module only matches them. :func:`perceive` reads the current message and a few earlier ones and
returns a frozen :class:`~theraloop.agent.safety.models.ConditionReading`; :func:`imminence_level`
turns its imminence cues plus the client's assessed self-directed level into the level those cues
support; :func:`condition_guidance` and :func:`steer_strategy` say how the reply must change. A
question about a means (heights, doses, train times, weapons) becomes a ``means_inquiry`` cue
when the conversation holds distress or ideation, read with the rules file's cues and the
pattern layer's hits, so the turn's level no longer depends on the question's wording alone.

Example:
    >>> perceive("The voices say I have to leave the city.").conditions
    ('hallucination',)
    >>> reading = perceive("It will be tonight.", ["The pistol is in the desk drawer."])
    >>> imminence_level(reading, "low")
    'imminent'
    >>> reading = perceive("Which bridges here are the highest?", ["I lost my job today."])
    >>> reading.means_context, imminence_level(reading, "none")
    ('distress', 'low')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, get_args

import yaml

from theraloop.agent.safety.models import (
    CONDITION_KINDS,
    ConditionCue,
    ConditionKind,
    ConditionReading,
    ImminenceCue,
    MeansContext,
    RiskLevel,
    level_rank,
)
from theraloop.agent.safety.patterns import mask_idioms, scan

__all__ = [
    "ConditionRules",
    "load_rules",
    "perceive",
    "imminence_level",
    "condition_guidance",
    "steer_strategy",
    "condition_exemplars",
    "ConditionExemplar",
    "warning_signs",
]

IMMINENCE_CUES: tuple[ImminenceCue, ...] = get_args(ImminenceCue)
"""Every imminence cue, in the order a reading lists them."""
_SELF_CATEGORIES = frozenset({"suicide", "self_harm"})


@dataclass(frozen=True, slots=True)
class ConditionExemplar:
    """A short exchange showing how a counselor answers someone with ``condition``."""

    condition: ConditionKind
    label: str
    client: str
    reply: str


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
    exemplars: tuple[ConditionExemplar, ...] = ()


@dataclass(frozen=True, slots=True)
class MeansInquiryRules:
    """The ``means_inquiry`` section: a means question and the warning signs before it."""

    window: int
    guidance: str
    asking: tuple[re.Pattern[str], ...]
    means: dict[str, tuple[re.Pattern[str], ...]]
    ideation: tuple[re.Pattern[str], ...]
    distress: tuple[re.Pattern[str], ...]
    telling: tuple[re.Pattern[str], ...] = ()
    """Wordings of the question itself that are a warning sign without any other: what it
    would take to stop a heart, how long in a shut garage with the engine running."""


@dataclass(frozen=True, slots=True)
class ConditionRules:
    """The compiled rules file: the conditions, the imminence cues and the means-inquiry rule."""

    conditions: tuple[_Condition, ...]
    imminence_window: int
    imminence: dict[ImminenceCue, tuple[re.Pattern[str], ...]]
    means_inquiry: MeansInquiryRules | None = None
    past_attempt: tuple[re.Pattern[str], ...] = ()
    """Words that place an act in the past ("my flatmate came home early", "when I woke up"):
    an ``in_progress`` cue in their window is an interrupted attempt, read as ``preparation``."""


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
                exemplars=tuple(
                    ConditionExemplar(
                        kind,
                        spec["label"],
                        " ".join(e["client"].split()),
                        " ".join(e["reply"].split()),
                    )
                    for e in spec.get("exemplars", ())
                ),
            )
        )
    imm = data["imminence"]
    cues = {cue: _compile(imm.get(cue, ())) for cue in IMMINENCE_CUES}
    means = data.get("means_inquiry")
    return ConditionRules(
        conditions=tuple(conditions),
        imminence_window=int(imm["window"]),
        imminence=cues,
        means_inquiry=None if means is None else _means_rules(means),
        past_attempt=_compile(imm.get("past_attempt", ())),
    )


def _means_rules(spec: dict[str, Any]) -> MeansInquiryRules:
    return MeansInquiryRules(
        window=int(spec["window"]),
        guidance=" ".join(spec["guidance"].split()),
        asking=_compile(spec["asking"]),
        means=_groups(spec["means"]),
        ideation=_compile(spec["ideation"]),
        distress=_compile(spec["distress"]),
        telling=_compile(spec.get("telling", ())),
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
) -> tuple[tuple[ConditionCue, ...], bool]:
    """Return the cues that hold ``cond``, and whether cues earlier in the window only suspect it.

    A condition that is not sticky (mania, OCD) read in an earlier message and not in this one
    is suspected: the next message often only asks for the faster system or the email.
    """
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
    # a strong cue earlier in the window holds when a weak one is in the current message
    # (an intrusive thought, then a request for reassurance about it)
    weak_now = any(c.turn is None for c in weak.values())
    held_by_weak = cond.min_weak > 0 and len(weak) >= cond.min_weak
    if strong and (current or cond.sticky or weak_now):
        return tuple(strong) + tuple(weak.values()), False
    if held_by_weak and (weak_now or cond.sticky):
        return tuple(weak.values()), False
    return (), bool(strong) or held_by_weak


def _warning_signs(
    rules: MeansInquiryRules, text: str, context: Sequence[str]
) -> tuple[MeansContext | None, list[ConditionCue]]:
    """Return the strongest warning sign (ideation over distress) around a means question.

    A sign is a cue of the rules file or a hit of the pattern layer (a suicide or self-harm
    signal other than a means question is ideation; its distress signal is distress). Idioms
    are masked first, as the pattern layer masks them: "I nearly died of fright" is no loss.
    Without either, a ``telling`` wording of the current message ("would it take to stop a
    heart") is a sign by itself, weighed as distress: a direct question, never the protocol.
    """
    ideation: list[ConditionCue] = []
    distress: list[ConditionCue] = []
    for turn, message in _window(text, context, rules.window):
        masked = mask_idioms(message)
        for group, pats, into in (
            ("ideation", rules.ideation, ideation),
            ("distress", rules.distress, distress),
        ):
            m = _find(pats, masked)
            if m is not None:
                into.append(_cue("imminence", group, m, turn))
        for hit in scan(message):
            if (
                hit.category in _SELF_CATEGORIES
                and hit.level != "none"  # a negated or past statement is scored none
                and "means" not in hit.signal
            ):
                group, into = "ideation", ideation
            elif hit.signal == "distress":
                group, into = "distress", distress
            else:
                continue
            into.append(
                ConditionCue(
                    condition="imminence",
                    group=group,
                    text=hit.text,
                    start=hit.start,
                    end=hit.end,
                    turn=turn,
                )
            )
    if ideation:
        return "ideation", _distinct(ideation)
    if distress:
        return "distress", _distinct(distress)
    told = _find(rules.telling, masked)  # the window ends with the current message
    if told is not None:  # the question's own words are the sign: read as distress is
        return "distress", [_cue("imminence", "telling", told, None)]
    return None, []


def warning_signs(
    text: str, context: Sequence[str], rules: ConditionRules | None = None
) -> tuple[MeansContext | None, list[ConditionCue]]:
    """Return the warning signs a means question in ``text`` follows (for another reader of it).

    The learned condition reader finds means questions the ``means`` cues miss; whether such a
    question matters is read here with the same ideation and distress cues as the rules use.
    """
    rules = rules or load_rules()
    if rules.means_inquiry is None:
        return None, []
    return _warning_signs(rules.means_inquiry, text, context)


def _distinct(cues: list[ConditionCue]) -> list[ConditionCue]:
    """Drop a cue found twice (by the rules file and by the pattern layer)."""
    return list({(c.turn, c.start, c.end): c for c in reversed(cues)}.values())[::-1]


def _means_inquiry(
    rules: MeansInquiryRules, text: str, context: Sequence[str]
) -> tuple[MeansContext | None, list[ConditionCue]]:
    """Read a means question in ``text`` and the warning signs it follows (none: no cue)."""
    if _find(rules.asking, text) is None:
        return None, []
    question = next(
        (
            _cue("imminence", "means_inquiry", m, None)
            for group, pats in rules.means.items()
            if (m := _find(pats, text)) is not None
        ),
        None,
    )
    if question is None:
        return None, []
    signs, cues = _warning_signs(rules, text, context)
    return (signs, [question, *cues]) if signs is not None else (None, [])


def perceive(
    text: str, context: Sequence[str] = (), rules: ConditionRules | None = None
) -> ConditionReading:
    """Read the conditions and imminence cues in ``text`` and the client turns before it.

    ``context`` holds earlier client messages, oldest first. Timing cues ("tonight", "right
    now") and a means question count only in the current message; the other cues count within
    the rules' window, and a condition that is not sticky, read only earlier in it, is suspected.
    An act told together with words that place it in the past (``past_attempt``) is not under
    way: it counts as ``preparation`` (an interrupted attempt), not ``in_progress``.
    """
    rules = rules or load_rules()
    kinds: list[ConditionKind] = []
    suspected: list[ConditionKind] = []
    cues: list[ConditionCue] = []
    for cond in rules.conditions:
        found, carried = _read_condition(cond, text, context)
        if found:
            kinds.append(cond.kind)
            cues.extend(found)
        elif carried:
            suspected.append(cond.kind)
    seen: list[ImminenceCue] = []
    window = _window(text, context, rules.imminence_window)
    over = any(_find(rules.past_attempt, message) is not None for _, message in window)
    for turn, message in window:
        for cue, pats in rules.imminence.items():
            if cue == "timing_now" and turn is not None:
                continue
            m = _find(pats, message)
            if m is None:
                continue
            # an act told with words that place it in the past is an interrupted attempt
            read: ImminenceCue = "preparation" if cue == "in_progress" and over else cue
            cues.append(_cue("imminence", read, m, turn))
            if read not in seen:
                seen.append(read)
    means_context: MeansContext | None = None
    if rules.means_inquiry is not None:
        means_context, means_cues = _means_inquiry(rules.means_inquiry, text, context)
        if means_context is not None:
            seen.append("means_inquiry")
            cues.extend(means_cues)
    ordered = tuple(c for c in IMMINENCE_CUES if c in seen)
    return ConditionReading(
        conditions=tuple(kinds),
        suspected=tuple(suspected),
        carried=tuple(suspected),
        imminence=ordered,
        cues=tuple(cues),
        means_context=means_context,
    )


def imminence_level(reading: ConditionReading, self_level: RiskLevel) -> RiskLevel:
    """Return the self-directed level the imminence cues support, given the client's level.

    ``self_level`` is the level the detector found for this turn and the conversation before
    it. The cues never raise risk on their own, except an act under way or the means at hand
    together with a farewell or preparation, and the thought of using a means at hand:

    * an act under way (on the railing, pills already taken) with any ideation, or with a
      farewell, preparation or the means at hand (at the top of a silo, a note left, thanks for
      the chats; the engine running with the doors shut, sat in the car in the garage):
      ``imminent``;
    * timing now with the means at hand, after any ideation: ``imminent``;
    * timing now after a plan or intent (``high``): ``imminent``;
    * means at hand with a farewell (the loaded gun on the table, then "sorry for wasting your
      time. bye"), or with preparation after any ideation or with timing now (the tablets
      counted out, a time set): ``imminent``;
    * means at hand with the thought of using it: ``high``, ``imminent`` with timing now;
    * means at hand after active ideation (``moderate``): ``high``;
    * a farewell in this message after a plan or intent (``high``), or beside two other
      farewell or preparation signs in the window (thanks for the sessions, the cat left with a
      neighbour, then "this is the last time I'll be writing"): ``imminent``;
    * preparation or a farewell after any ideation, or two such signs together (a drop
      scouted and a spot chosen, a pet handed over and a goodbye): ``high``;
    * a means question after ideation: ``moderate``; after distress alone: ``low``.
    """
    cues = set(reading.imminence)
    rank = level_rank(self_level)
    if "in_progress" in cues and (
        rank >= level_rank("low") or {"farewell", "preparation", "means_at_hand"} & cues
    ):
        return "imminent"
    if "timing_now" in cues and (
        (rank >= level_rank("low") and "means_at_hand" in cues) or rank >= level_rank("high")
    ):
        return "imminent"
    if "means_at_hand" in cues and (
        "farewell" in cues
        or ("preparation" in cues and (rank >= level_rank("low") or "timing_now" in cues))
    ):
        return "imminent"
    if {"means_at_hand", "means_intent"} <= cues:  # the thought of using it is the ideation
        return "imminent" if "timing_now" in cues else "high"
    if rank >= level_rank("moderate") and "means_at_hand" in cues:
        return "high"
    farewell = {"preparation", "farewell"} & cues
    farewell_now = any(c.group == "farewell" and c.turn is None for c in reading.cues)
    signs = {
        (c.group, c.text.lower())
        for c in reading.cues
        if c.condition == "imminence" and c.group in ("preparation", "farewell")
    }
    if farewell_now and (rank >= level_rank("high") or len(signs) >= 3):
        return "imminent"
    if (rank >= level_rank("low") and farewell) or len(signs) >= 2:
        return "high"
    if "means_inquiry" in cues:
        return "moderate" if reading.means_context == "ideation" else "low"
    return "none"


def condition_guidance(reading: ConditionReading, rules: ConditionRules | None = None) -> str:
    """Return the therapist-prompt instructions for the perceived conditions ('' when none)."""
    rules = rules or load_rules()
    parts = [c.guidance for c in rules.conditions if reading.has(c.kind)]
    if "means_inquiry" in reading.imminence and rules.means_inquiry is not None:
        parts.append(rules.means_inquiry.guidance)
    return " ".join(parts)


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


def condition_exemplars(
    reading: ConditionReading, rules: ConditionRules | None = None
) -> tuple[ConditionExemplar, ...]:
    """Return the exemplars of every perceived condition, in rules-file order.

    A small model copies the manner of an example exchange more faithfully than it follows an
    instruction, so while a condition holds its exemplars (a gentle non-colluding answer written
    for review by a clinician) take the place of the chosen strategy's.
    """
    rules = rules or load_rules()
    return tuple(e for c in rules.conditions if reading.has(c.kind) for e in c.exemplars)
