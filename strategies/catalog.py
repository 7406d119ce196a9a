"""The strategy catalog: every counselling move the agent can choose, validated at first use.

The knowledge itself lives in ``catalog.yaml`` beside this module so a clinician can review or
extend it without reading Python; this module loads it once, validates it into frozen pydantic
models, and exposes it as a read-only mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from theraloop.strategies.errors import CatalogError, UnknownStrategyError
from theraloop.strategies.modalities import Modality
from theraloop.strategies.vocab import TreatmentStage

__all__ = [
    "Strategy",
    "Exemplar",
    "StrategyFamily",
    "ESCONV_LABELS",
    "CATALOG",
    "load_catalog",
    "get_strategy",
    "strategy_ids",
]

StrategyFamily = Literal["esconv", "mi", "cbt"]
"""The published taxonomy a strategy comes from."""

ESCONV_LABELS: tuple[str, ...] = (
    "Question",
    "Restatement or Paraphrasing",
    "Reflection of feelings",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
    "Others",
)
"""ESConv's eight support strategies, spelled exactly as in the released annotations."""

_CATALOG_FILE = "catalog.yaml"


class Exemplar(BaseModel):
    """One short exchange showing a strategy: what a client said and a reply that makes the move."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client: str = Field(min_length=1, max_length=200, description="The client's message.")
    reply: str = Field(
        min_length=1,
        max_length=200,
        description="A reply making the move; short, because a small model copies the length.",
    )


class Strategy(BaseModel):
    """One counselling move with the knowledge needed to choose it and to realise it in a reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z_]*$", description="Stable snake_case identifier.")
    name: str = Field(min_length=1, description="Human-readable name.")
    family: StrategyFamily = Field(description="Taxonomy it comes from: ESConv, MI or CBT.")
    definition: str = Field(min_length=20, description="What the move is.")
    when_to_use: str = Field(min_length=20, description="When a counsellor reaches for it.")
    modalities: tuple[Modality, ...] = Field(
        min_length=1, description="Therapy modalities the move belongs to."
    )
    stages: tuple[TreatmentStage, ...] = Field(
        min_length=1, description="Treatment stages (exploration, insight, action) it fits."
    )
    directive: bool = Field(
        description="Pushes advice, information or a challenge; withheld while the client resists."
    )
    exemplars: tuple[Exemplar, ...] = Field(
        min_length=2,
        max_length=3,
        description="Exchanges the reply model gets as few-shot pairs.",
    )
    esconv_label: str | None = Field(
        default=None, description="The ESConv annotation an utterance of this kind would get."
    )

    @property
    def examples(self) -> tuple[str, ...]:
        """The exemplars' replies (what the strategy classifier compares replies with)."""
        return tuple(exemplar.reply for exemplar in self.exemplars)

    @field_validator("esconv_label")
    @classmethod
    def _known_esconv_label(cls, label: str | None) -> str | None:
        if label is not None and label not in ESCONV_LABELS:
            raise ValueError(f"esconv_label {label!r} is not one of {ESCONV_LABELS}")
        return label


@cache
def load_catalog() -> Mapping[str, Strategy]:
    """Load and validate the shipped catalog once; return it as a read-only mapping by id.

    Raises:
        CatalogError: the YAML is missing, malformed, has duplicate ids or fails validation,
            which means the installed package is broken rather than that the caller erred.
    """
    try:
        text = (
            resources.files("theraloop.strategies")
            .joinpath(_CATALOG_FILE)
            .read_text(encoding="utf-8")
        )
        raw = yaml.safe_load(text)
        entries = raw["strategies"]
        strategies = [Strategy.model_validate(entry) for entry in entries]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise CatalogError(
            f"the shipped strategy catalog {_CATALOG_FILE!r} is invalid ({exc}); "
            "reinstall theraloop or fix the file"
        ) from exc
    by_id: dict[str, Strategy] = {}
    for strategy in strategies:
        if strategy.id in by_id:
            raise CatalogError(f"duplicate strategy id {strategy.id!r} in {_CATALOG_FILE!r}")
        by_id[strategy.id] = strategy
    return MappingProxyType(by_id)


class _CatalogView(Mapping[str, Strategy]):
    """Read-only mapping that defers loading the YAML until the catalog is first used."""

    def __getitem__(self, strategy_id: str) -> Strategy:
        return load_catalog()[strategy_id]

    def __iter__(self) -> Iterator[str]:
        return iter(load_catalog())

    def __len__(self) -> int:
        return len(load_catalog())

    def __repr__(self) -> str:
        return f"CATALOG({list(self)})"


CATALOG: Mapping[str, Strategy] = _CatalogView()
"""Every strategy by id, in catalog order (ESConv, then MI, then CBT)."""


def get_strategy(strategy_id: str) -> Strategy:
    """Return a strategy by id, refusing unknown ids with the list of known ones."""
    try:
        return load_catalog()[strategy_id]
    except (KeyError, TypeError):
        raise UnknownStrategyError(
            f"unknown strategy {strategy_id!r}; use one of {', '.join(load_catalog())}"
        ) from None


def strategy_ids() -> tuple[str, ...]:
    """Return every strategy id in catalog order."""
    return tuple(load_catalog())
