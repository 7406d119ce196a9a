"""High-precision patterns: the first, explainable layer of risk detection.

The rules are data a clinician can review (``agent/safety/data/patterns/*.yaml``, one file per
kind of risk); this module only loads, compiles and applies them. Each rule names a *signal*
(what was said), a category and the C-SSRS level the words support on their own. Some signals are
modifiers with level ``none`` (timing, means at hand, distress, a vague plan):
:mod:`theraloop.agent.safety.detector` combines them with other turns, which is how "I just lost
my job" followed by "what are the tallest bridges in NYC" becomes a moderate risk.

Precision comes from four filters (``filters.yaml``, ``idioms.yaml``) applied to every match:

* **idioms** are masked before matching ("this exam is killing me", "I could die of
  embarrassment", "dying to see", "kill time", "to die for", "suicide sprints");
* **negation** in the same clause cancels negatable rules ("I would never kill myself",
  "I'm not suicidal"), but not inability ("I can't stop thinking about killing myself") and not
  "I don't know why I want to die";
* **first person**: rules about the speaker are dropped when the nearest subject in the clause is
  someone else ("if you want to die, please call", "I think she wants to die");
* **long ago** markers in the sentence lower ideation and attempts by one level
  ("I tried to kill myself years ago" is moderate, not high).

Text from chat apps often lacks apostrophes ("dont", "im"); the rules accept both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from theraloop.agent.safety.models import RiskCategory, RiskLevel, lower_level

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = [
    "PatternHit",
    "Rule",
    "RuleSet",
    "RULE_FILES",
    "scan",
    "mask_idioms",
    "split_sentences",
    "risk_keywords",
    "MODIFIER_SIGNALS",
    "MANIA_SIGNALS",
    "about_someone_else",
    "load_rule_set",
    "rule_set",
    "expand_fragments",
]

RULE_FILES: tuple[str, ...] = (
    "ideation_passive",
    "ideation_active",
    "intent",
    "plan",
    "attempt",
    "modifiers",
    "means",
    "self_harm",
    "harm_to_others",
    "abuse",
    "psychosis",
    "mania",
)
"""The rule files in the order their rules run; hits on the same span keep this order."""

MODIFIER_SIGNALS = frozenset(
    {
        "timing",
        "plan_denied",
        "means_access",
        "intent_vague",
        "plan_vague",
        "distress",
        "sleep_loss",
        "grandiosity",
        "negated",
        "other_person",
        "idiom",
    }
)
"""Signals with level ``none`` that only matter in combination (see the detector).

``negated``, ``other_person`` and ``idiom`` mark risk words the filters cancelled ("I'm not
suicidal", "she wants to die", "this exam is killing me"); the detector then ignores the
classifier on that sentence unless it also holds a risk statement of the speaker's own.
"""

MANIA_SIGNALS = frozenset({"sleep_loss", "grandiosity"})
"""The modifier signals that are signs of mania (the detector combines two kinds of them)."""

_FLAGS = re.IGNORECASE
_FRAGMENT = re.compile(r"\{([A-Z][A-Z_]*)\}")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})

Pieces = str | list[str]
"""A regex as written in a data file: one string, or pieces joined with nothing between them."""


class PatternHit(BaseModel):
    """One rule that fired on a span of text."""

    model_config = ConfigDict(frozen=True)

    signal: str
    category: RiskCategory | None
    level: RiskLevel
    start: int
    end: int
    text: str


class _RuleSpec(BaseModel):
    """One rule as written in a rule file (see the header of any ``data/patterns`` file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    signal: str = Field(min_length=1)
    category: RiskCategory | None
    level: RiskLevel
    pattern: Pieces
    negatable: bool = True
    first_person: bool = True
    past_downgrade: bool = False
    needs_subject: bool = False
    question: bool = False
    examples: tuple[str, ...] = ()

    @field_validator("pattern")
    @classmethod
    def _joined(cls, value: Pieces) -> str:
        return _join(value)


class _RuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[_RuleSpec, ...]


class _FilterSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    note: str
    pattern: Pieces


class _FiltersFile(BaseModel):
    """The linguistic filters of ``filters.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    long_ago: _FilterSpec
    negation: _FilterSpec
    negation_exempt: _FilterSpec
    clause_break: _FilterSpec
    first_person: _FilterSpec
    third_person: _FilterSpec
    speaker: _FilterSpec
    question_lead: _FilterSpec
    keywords: _FilterSpec


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule: what it flags, at which level, and which filters apply to it."""

    id: str
    signal: str
    category: RiskCategory | None
    level: RiskLevel
    regex: re.Pattern[str]
    negatable: bool
    first_person: bool
    past_downgrade: bool
    needs_subject: bool
    question: bool
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every compiled rule and filter; built once per data directory by :func:`load_rule_set`."""

    rules: tuple[Rule, ...]
    idioms: re.Pattern[str]
    long_ago: re.Pattern[str]
    negation: re.Pattern[str]
    negation_exempt: re.Pattern[str]
    clause_break: re.Pattern[str]
    subject: re.Pattern[str]
    speaker: re.Pattern[str]
    question_lead: re.Pattern[str]
    keywords: re.Pattern[str]
    fragments: Mapping[str, str]
    """The shared words (``{NAME}``) expanded, for data outside the rule files to use too."""


def _join(value: Pieces) -> str:
    return value if isinstance(value, str) else "".join(value)


def _expand(template: str, fragments: Mapping[str, str], where: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise ValueError(f"{where}: unknown fragment {{{name}}}")
        return fragments[name]

    return _FRAGMENT.sub(one, template)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, _FLAGS)
    except re.error as exc:
        raise ValueError(f"{where}: invalid regex: {exc}") from exc


def _read(directory: Traversable | Path, name: str) -> object:
    return yaml.load(directory.joinpath(f"{name}.yaml").read_text("utf-8"), Loader=_Loader)


def expand_fragments(pattern: Pieces, where: str) -> str:
    """Return ``pattern`` with each ``{NAME}`` replaced by the shipped fragment.

    Data outside ``patterns/`` (the urgent cues) then says a thing in the rules' own words.

    Raises:
        ValueError: a fragment is unknown; the message names ``where``.
    """
    return _expand(_join(pattern), rule_set().fragments, where)


def load_rule_set(directory: Traversable | Path) -> RuleSet:
    """Load and compile the rule files, fragments, idioms and filters found in ``directory``.

    Raises:
        ValueError: a file is malformed, a rule id repeats, a fragment is unknown or a regex does
            not compile; the message names the file and the rule.
    """
    raw_fragments = _read(directory, "fragments")
    if not isinstance(raw_fragments, dict) or not isinstance(raw_fragments.get("fragments"), dict):
        raise ValueError("fragments.yaml: needs a 'fragments' mapping")
    fragments: dict[str, str] = {}
    for name, value in raw_fragments["fragments"].items():
        fragments[name] = _expand(_join(value), fragments, f"fragments.yaml: {name}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for file in RULE_FILES:
        try:
            specs = _RuleFile.model_validate(_read(directory, file)).rules
        except ValidationError as exc:
            raise ValueError(f"{file}.yaml: {exc}") from exc
        for spec in specs:
            where = f"{file}.yaml: {spec.id}"
            if spec.id in seen:
                raise ValueError(f"{where}: duplicate rule id")
            seen.add(spec.id)
            rules.append(
                Rule(
                    id=spec.id,
                    signal=spec.signal,
                    category=spec.category,
                    level=spec.level,
                    regex=_compile(_expand(_join(spec.pattern), fragments, where), where),
                    negatable=spec.negatable,
                    first_person=spec.first_person,
                    past_downgrade=spec.past_downgrade,
                    needs_subject=spec.needs_subject,
                    question=spec.question,
                    examples=spec.examples,
                )
            )
    idioms = _read(directory, "idioms")
    if not isinstance(idioms, dict) or not isinstance(idioms.get("idioms"), list):
        raise ValueError("idioms.yaml: needs an 'idioms' list")
    alternatives = "|".join(_join(item) for item in idioms["idioms"])
    filters = _FiltersFile.model_validate(_read(directory, "filters"))

    def filt(spec: _FilterSpec, name: str) -> re.Pattern[str]:
        return _compile(_join(spec.pattern), f"filters.yaml: {name}")

    first, third = _join(filters.first_person.pattern), _join(filters.third_person.pattern)
    return RuleSet(
        rules=tuple(rules),
        idioms=_compile(rf"\b(?:{alternatives})\b", "idioms.yaml"),
        long_ago=filt(filters.long_ago, "long_ago"),
        negation=filt(filters.negation, "negation"),
        negation_exempt=filt(filters.negation_exempt, "negation_exempt"),
        clause_break=filt(filters.clause_break, "clause_break"),
        subject=_compile(rf"\b(?:(?P<first>{first})|(?P<third>{third}))\b", "filters.yaml: person"),
        speaker=filt(filters.speaker, "speaker"),
        question_lead=filt(filters.question_lead, "question_lead"),
        keywords=filt(filters.keywords, "keywords"),
        fragments=MappingProxyType(fragments),
    )


@lru_cache(maxsize=1)
def rule_set() -> RuleSet:
    """Return the shipped rules (``data/patterns``), compiled on first use."""
    return load_rule_set(resources.files("theraloop.agent.safety").joinpath("data/patterns"))


def mask_idioms(text: str) -> str:
    """Return ``text`` with idioms blanked out (same length, so offsets still hold).

    The classifier reads the masked text too, so "this exam is killing me" looks to it like
    "this exam is ..." rather than like a threat.
    """
    normal = text.translate(_APOSTROPHES).replace("`", "'")
    return rule_set().idioms.sub(lambda m: " " * (m.end() - m.start()), normal)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text`` (newlines also split)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _clause_prefix(rs: RuleSet, text: str, sent_start: int, match_start: int) -> str:
    prefix = text[sent_start:match_start]
    ends = [m.end() for m in rs.clause_break.finditer(prefix)]
    return prefix[ends[-1] :] if ends else prefix


def _is_negated(rs: RuleSet, prefix: str) -> bool:
    m = rs.negation.search(prefix)
    if m is None:
        return False
    return rs.negation_exempt.match(m.group("after") or "") is None


def _other_person(rs: RuleSet, prefix: str) -> bool:
    """Say whether the nearest subject before the match is someone other than the speaker."""
    subjects = list(rs.subject.finditer(prefix))
    return bool(subjects) and subjects[-1].group("third") is not None


def _speaker_is_subject(rs: RuleSet, prefix: str) -> bool:
    """Say whether a noun-like risk phrase is about the speaker ("my suicide attempt")."""
    if not prefix.strip():
        return True
    return rs.speaker.search(prefix) is not None and not _other_person(rs, prefix)


def about_someone_else(sentence: str) -> bool:
    """Say whether a sentence speaks of or to another person and nowhere of the speaker.

    Whose risk it is matters: "you deserve to live" or "he wants to die" is not the speaker's
    own ideation, while "life isn't worth living" (no person named) or "nobody would miss me" is.
    """
    rs = rule_set()
    if rs.speaker.search(sentence) is not None:
        return False
    return any(m.group("third") is not None for m in rs.subject.finditer(sentence))


def _is_question(rs: RuleSet, sentence: str, prefix: str, match: str) -> bool:
    """Say whether a means phrase is asked for, not mentioned ("no painless way to die")."""
    return (
        "?" in sentence
        or not prefix.strip()
        or rs.question_lead.match(match) is not None
        or rs.question_lead.search(prefix) is not None
    )


def _blocked(rs: RuleSet, rule: Rule, sentence: str, prefix: str, match: str) -> str | None:
    """Return why a filter cancels a match (``negated``, ``other_person``, ``skip``) or None.

    ``skip`` drops a means phrase that is mentioned rather than asked for, without a trace.
    """
    if rule.negatable and _is_negated(rs, prefix):
        return "negated"
    if rule.first_person and _other_person(rs, prefix):
        return "other_person"
    if rule.needs_subject and not (
        _speaker_is_subject(rs, prefix) or rs.speaker.match(match) is not None
    ):  # "Three weeks ago I took an overdose": the match names the speaker itself
        return "other_person"
    if rule.question and not _is_question(rs, sentence, prefix, match):
        return "skip"
    return None


def _hit(text: str, signal: str, rule: Rule, level: RiskLevel, start: int, end: int) -> PatternHit:
    return PatternHit(
        signal=signal,
        category=rule.category,
        level=level,
        start=start,
        end=end,
        text=text[start:end],
    )


def scan(text: str) -> list[PatternHit]:
    """Return every rule hit in ``text``, after idiom masking, negation and person filters.

    Offsets refer to ``text`` as given; hits are ordered by position.
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() needs a str, got {type(text).__name__}")
    rs = rule_set()
    masked = mask_idioms(text)
    sentences = split_sentences(masked) or [(0, len(masked))]
    hits: list[PatternHit] = [
        PatternHit(
            signal="idiom",
            category=None,
            level="none",
            start=m.start(),
            end=m.end(),
            text=text[m.start() : m.end()],
        )
        for m in rs.idioms.finditer(text.translate(_APOSTROPHES))
    ]
    seen: set[tuple[str, int, int]] = set()
    for s_start, s_end in sentences:
        sentence = masked[s_start:s_end]
        long_ago = rs.long_ago.search(sentence) is not None
        for rule in rs.rules:
            for m in rule.regex.finditer(sentence):
                if m.end() == m.start():
                    continue
                start, end = s_start + m.start(), s_start + m.end()
                prefix = _clause_prefix(rs, masked, s_start, start)
                blocked = _blocked(rs, rule, sentence, prefix, m.group(0))
                if blocked == "skip":
                    continue
                if blocked is not None:
                    if rule.level != "none":  # keep a trace: it discounts the classifier too
                        hits.append(_hit(text, blocked, rule, "none", start, end))
                    continue
                level = rule.level
                if rule.past_downgrade and long_ago:
                    level = "moderate" if rule.category == "abuse_by_others" else lower_level(level)
                key = (rule.signal, start, end)
                if key in seen:
                    continue
                seen.add(key)
                hits.append(_hit(text, rule.signal, rule, level, start, end))
    hits.sort(key=lambda h: (h.start, h.end))
    return hits


def risk_keywords(
    texts: Sequence[str], outside: Mapping[int, Sequence[tuple[int, int]]] | None = None
) -> list[str]:
    """Return broad risk words found in ``texts``: the recall-first net used when a layer fails.

    ``outside`` maps a text's index to spans whose words are not counted (the words of a
    condition's own cue, such as "to poison me" in a persecutory belief).
    """
    keywords = rule_set().keywords
    skip = outside or {}
    return [
        m.group(0).lower()
        for i, t in enumerate(texts)
        for m in keywords.finditer(t)
        if not any(s <= m.start() and m.end() <= e for s, e in skip.get(i, ()))
    ]
