"""Expand the YAML training recipe into labelled sentences, deterministically.

Each template of ``data/recipe.yaml`` is filled from its slot lists (slots may hold slots, and a
``_cap`` suffix capitalises the value), ``per_template`` times with a seeded generator, and a share
of the sentences is rewritten in a casual register (lower case, no apostrophes, a filler word),
so the reader sees how clients type as well as how they speak.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from importlib import resources

from theraloop.agent.safety.classifier import CLASS_MAP, load_examples
from theraloop.memory.errors import InvalidInputError

__all__ = ["Example", "expand_recipe", "training_examples"]

_SLOT = re.compile(r"\{([a-z_]+)\}")
_FILLERS = ("honestly ", "tbh ", "idk, ", "so ", "I guess ", "ok so ", "well ")
_TRANSFORM_LABEL = "none"


@dataclass(frozen=True)
class Example:
    """One training sentence with its class and the template it came from."""

    text: str
    label: str
    source: str


def _load_recipe() -> dict:
    import yaml

    text = (
        resources.files("theraloop.agent.safety.training")
        .joinpath("data/recipe.yaml")
        .read_text("utf-8")
    )
    return yaml.safe_load(text)


def _fill(template: str, slots: dict[str, list[str]], rng: random.Random, depth: int = 0) -> str:
    if depth > 4:
        raise InvalidInputError(f"recipe slots nest too deeply in {template!r}")

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        cap = name.endswith("_cap")
        base = name[:-4] if cap else name
        if base not in slots:
            raise InvalidInputError(f"recipe template {template!r} uses unknown slot {base!r}")
        value = _fill(rng.choice(slots[base]), slots, rng, depth + 1)
        return value[:1].upper() + value[1:] if cap else value

    return _SLOT.sub(one, template)


def _casual(text: str, rng: random.Random) -> str:
    out = text.lower().replace("'", "").replace("\u2019", "")
    out = out.rstrip(".")
    if rng.random() < 0.5:
        out = rng.choice(_FILLERS).lower() + out
    return out


def _finish(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def expand_recipe(seed: int = 0, casual_share: float = 0.3) -> list[Example]:
    """Return the recipe's sentences, each template filled ``per_template`` times without repeats.

    Raises:
        InvalidInputError: a template uses an unknown slot or label.
    """
    recipe = _load_recipe()
    slots = {**recipe["slots"], **recipe.get("extra_slots", {})}
    per = int(recipe["per_template"])
    groups: list[tuple[str, str, list[str]]] = [
        (label, f"templates.{label}", items) for label, items in recipe["templates"].items()
    ]
    groups += [
        (_TRANSFORM_LABEL, f"transforms.{name}", items)
        for name, items in recipe["transforms"].items()
    ]
    rng = random.Random(seed)
    out: list[Example] = []
    for label, section, templates in groups:
        if label not in CLASS_MAP:
            raise InvalidInputError(f"recipe section {section} has unknown label {label!r}")
        for k, template in enumerate(templates):
            seen: set[str] = set()
            for _ in range(per * 3):
                if len(seen) >= per:
                    break
                text = _finish(_fill(template, slots, rng))
                if rng.random() < casual_share:
                    text = _casual(text, rng)
                if text not in seen:
                    seen.add(text)
                    out.append(Example(text=text, label=label, source=f"{section}[{k}]"))
    return out


def training_examples(seed: int = 0) -> list[Example]:
    """Return the recipe's sentences plus the hand-written ``risk_examples.yaml`` ones."""
    out = expand_recipe(seed)
    for label, sentences in load_examples().items():
        out += [
            Example(text=s, label=label, source=f"risk_examples.{label}[{k}]")
            for k, s in enumerate(sentences)
        ]
    return out
