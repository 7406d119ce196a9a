"""The condition reader's training sentences: shipped, complete, disjoint from evaluation sets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import yaml

MINIMUM = {
    "condition_examples.yaml": {
        "delusion": 90,
        "hallucination": 70,
        "mania": 70,
        "ocd": 70,
        "none": 250,
    },
    "means_question_examples.yaml": {"means_question": 160, "none": 260},
}
"""Each training file's classes and the least number of messages each must hold."""

BENCHMARK_DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
FROZEN_SETS = ("safety_stimuli*.yaml", "crisis_frozen_v*.yaml")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SHORTEST_COPY = 5
"""Fewest words a shared sentence needs to count as copied: any two authors write a stock
phrase such as "I'd never do it." or "Please help." unaided."""


def _normalise(text: str) -> str:
    """Lower-case words only, so punctuation, quotes and spacing cannot hide a copy."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", "")))


def _sentences(text: str) -> Iterator[str]:
    for part in SENTENCE_END.split(text):
        norm = _normalise(part)
        if norm:
            yield norm


def _strings(node: object) -> Iterator[str]:
    """Every string value in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _examples(name: str) -> dict[str, list[str]]:
    text = resources.files("theraloop.agent.safety").joinpath(f"data/{name}").read_text("utf-8")
    document = yaml.safe_load(text)
    assert document["version"] == 1
    return document["examples"]


@pytest.mark.parametrize("name", sorted(MINIMUM))
def test_each_file_has_exactly_its_classes(name) -> None:
    assert set(_examples(name)) == set(MINIMUM[name])


@pytest.mark.parametrize(
    ("name", "label", "least"),
    [
        (name, label, least)
        for name, mins in sorted(MINIMUM.items())
        for label, least in mins.items()
    ],
)
def test_each_class_has_at_least_its_minimum_of_messages(name, label, least) -> None:
    messages = _examples(name)[label]
    assert all(isinstance(m, str) and m.strip() for m in messages)
    assert len(messages) >= least


@pytest.mark.parametrize("name", sorted(MINIMUM))
def test_no_message_appears_twice_within_or_across_classes(name) -> None:
    counts = Counter(_normalise(m) for messages in _examples(name).values() for m in messages)
    assert [text for text, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("name", sorted(MINIMUM))
@pytest.mark.parametrize("pattern", FROZEN_SETS)
def test_no_sentence_is_shared_with_a_frozen_evaluation_set(name, pattern) -> None:
    paths = sorted(BENCHMARK_DATA.glob(pattern))
    assert paths, f"no frozen set matches {pattern}"
    held_out = {
        sentence
        for path in paths
        for text in _strings(yaml.safe_load(path.read_text("utf-8")))
        for sentence in _sentences(text)
    }
    assert held_out, f"no sentences were read from {pattern}"
    shared = [
        sentence
        for messages in _examples(name).values()
        for message in messages
        for sentence in _sentences(message)
        if sentence in held_out and len(sentence.split()) >= SHORTEST_COPY
    ]
    assert shared == []
