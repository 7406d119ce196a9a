"""Fact keys and forget requests: the rules that decide when a memory stops being current.

A client's statement about a slot of their life that changes (where they live, their job, their
medication, how a relationship stands, how a homework exercise went, the name of a person) gets a
small typed :class:`FactKey`. The store marks an older memory with the same key as superseded
when a newer one is written (kept for history, left out of recall), the way Zep invalidates an
edge. A statement without a key is an episode: it never supersedes anything.

The rules are data (``memory/fact_rules.yaml``) a clinician can review; this module only applies
them. Its functions are pure and deterministic, so supersession and forgetting are too. A memory
without a key of its own (a session summary, the therapist's reply) can still state a fact in one
of its sentences: :func:`current_text` leaves out the sentences whose fact has changed since.

Example:
    >>> fact_key("I've moved to Bristol, into a shared house.")
    FactKey(slot='residence', subject=None)
    >>> fact_key("My older sister is called Priya.").text
    'name:sister'
    >>> fact_key("Should I go back on the tablets?") is None
    True
    >>> forget_request("Please forget what I told you about Daniel.").terms
    ('daniel',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

import yaml

from theraloop.memory._lexical import STOPWORDS, tokenize
from theraloop.memory.models import MemoryItem

__all__ = [
    "FactKey",
    "FactSlot",
    "ForgetRequest",
    "current_text",
    "fact_key",
    "forget_request",
    "keyed_sentences",
    "redact",
]

FactSlot = Literal["name", "relationship", "residence", "job", "medication", "homework"]
"""Slots of a client's life whose newest statement replaces the older ones."""

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_REDACTED = "[forgotten]"


@dataclass(frozen=True, slots=True)
class FactKey:
    """What a statement is about: a slot and, for a person's or an exercise's slot, whose."""

    slot: FactSlot
    """The slot of the client's life the statement sets."""
    subject: str | None = None
    """Whose name or relationship, or which exercise; ``None`` for the client's own slots."""

    @property
    def text(self) -> str:
        """The key as stored on a memory: ``slot`` or ``slot:subject``."""
        return self.slot if self.subject is None else f"{self.slot}:{self.subject}"


@dataclass(frozen=True, slots=True)
class ForgetRequest:
    """A client's explicit request that the therapist not keep something."""

    topic: str
    """The words after "about", as the client wrote them."""
    terms: tuple[str, ...]
    """Content-word stems of the topic: a memory holding any of them is forgotten."""


@dataclass(frozen=True, slots=True)
class _Slot:
    slot: FactSlot
    subject: Literal["kin", "person", "exercise"] | None
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class _Rules:
    slots: tuple[_Slot, ...]
    exercises: tuple[tuple[str, re.Pattern[str]], ...]
    kin: re.Pattern[str]
    forget: tuple[re.Pattern[str], ...]
    filler: frozenset[str]


@cache
def _rules() -> _Rules:
    raw = yaml.safe_load(
        resources.files("theraloop.memory").joinpath("fact_rules.yaml").read_text("utf-8")
    )
    kin = "|".join(re.escape(k) for k in sorted(raw["kin"], key=len, reverse=True))
    medicines = "|".join(re.escape(m) for m in raw["medicines"])
    exercises = tuple(
        (name, re.compile("|".join(forms), re.IGNORECASE))
        for name, forms in raw["exercises"].items()
    )
    every_exercise = "|".join(
        f"(?:{form})" for _, forms in raw["exercises"].items() for form in forms
    )
    fill = {"kin": kin, "medicines": medicines, "exercises": every_exercise}
    slots = []
    for entry in raw["slots"]:
        if entry["slot"] not in get_args(FactSlot):
            raise ValueError(f"fact_rules.yaml names an unknown slot {entry['slot']!r}")
        patterns = tuple(
            re.compile(
                p.replace("{kin}", fill["kin"])
                .replace("{medicines}", fill["medicines"])
                .replace("{exercises}", fill["exercises"]),
                re.IGNORECASE,
            )
            for p in entry["patterns"]
        )
        slots.append(_Slot(entry["slot"], entry.get("subject"), patterns))
    return _Rules(
        slots=tuple(slots),
        exercises=exercises,
        kin=re.compile(rf"\bmy (?:\w+ )?({kin})\b", re.IGNORECASE),
        forget=tuple(re.compile(p, re.IGNORECASE) for p in raw["forget_requests"]),
        filler=frozenset(raw["topic_filler"]),
    )


def fact_key(text: str) -> FactKey | None:
    """Return the key of the first declarative sentence of ``text`` that sets a slot, if any.

    Questions state no fact, so a sentence ending in ``?`` (before any closing quote) is never
    keyed.
    """
    return next((key for _, key in keyed_sentences(text) if key is not None), None)


def keyed_sentences(text: str) -> list[tuple[str, FactKey | None]]:
    """Return the sentences of ``text``, each with the slot it sets (``None`` for none).

    A summary or a reply can state several facts; this is how a sentence that states an older
    value is found once a newer memory holds its key.

    Example:
        >>> [k and k.text for _, k in keyed_sentences("I live in Leeds. It rains a lot.")]
        ['residence', None]
    """
    rules = _rules()
    out: list[tuple[str, FactKey | None]] = []
    for sentence in _SENTENCE.split(text.strip()):
        if not sentence:
            continue
        key = None
        if not sentence.rstrip(" \"'\u201d).").endswith("?"):
            key = _sentence_key(sentence, rules)
        out.append((sentence, key))
    return out


def _sentence_key(sentence: str, rules: _Rules) -> FactKey | None:
    for slot in rules.slots:
        match = next((m for p in slot.patterns if (m := p.search(sentence))), None)
        if match is None:
            continue
        if slot.subject is None:
            return FactKey(slot.slot)
        subject = _subject(slot.subject, sentence, match, rules)
        if subject is not None:
            return FactKey(slot.slot, subject)
    return None


def _subject(
    kind: Literal["kin", "person", "exercise"], sentence: str, match: re.Match[str], rules: _Rules
) -> str | None:
    if kind == "kin":
        return match.group("kin").lower()
    if kind == "exercise":
        found = match.group("exercise")
        return next((name for name, form in rules.exercises if form.fullmatch(found)), None)
    kin = rules.kin.search(sentence)
    if kin is not None:
        return kin.group(1).lower()
    names = [w for w in _CAPITALISED.findall(sentence) if w.lower() not in STOPWORDS]
    return names[0].lower() if names else None


def current_text(item: MemoryItem, current: Mapping[str, MemoryItem]) -> str:
    """Return ``item``'s text without the sentences stating a fact that has changed since.

    A sentence with fact key K states the value K had when ``item`` was formed; once a memory
    formed later holds K (``current``: ``MemoryStore.current_facts``), the sentence is out
    of date and left out. The stored memory keeps it for history.

    Returns:
        The text, or ``""`` when every sentence stated a changed fact.
    """
    kept = [
        sentence
        for sentence, key in keyed_sentences(item.text)
        if key is None
        or (holder := current.get(key.text)) is None
        or holder.id == item.id
        or holder.created_at <= item.created_at
    ]
    return " ".join(kept)


def forget_request(text: str) -> ForgetRequest | None:
    """Return the client's request to forget something, or ``None`` if ``text`` makes none.

    Only an explicit request counts ("please forget what I told you about ..."); a wish such as
    "I want to forget about work" is not one.
    """
    rules = _rules()
    for pattern in rules.forget:
        match = pattern.search(text)
        if match is None:
            continue
        topic = match.group("topic").strip()
        terms = tuple(dict.fromkeys(t for t in tokenize(topic) if t not in rules.filler))
        if terms:
            return ForgetRequest(topic=topic, terms=terms)
    return None


def redact(text: str, terms: frozenset[str] | set[str]) -> str:
    """Return ``text`` with every word whose stem is one of ``terms`` replaced by a marker."""

    def swap(match: re.Match[str]) -> str:
        stems = tokenize(match.group(0))
        return _REDACTED if stems and stems[0] in terms else match.group(0)

    return _WORD.sub(swap, text)
