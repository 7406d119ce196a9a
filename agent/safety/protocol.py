"""The crisis protocol: a fixed, clinically conventional reply with locale-keyed resources.

No model writes this reply. It follows the usual structure of crisis responses (e.g. the 988
Lifeline's and Samaritans' guidance for helpers): acknowledge what was said, ask directly about
suicide and safety (asking does not plant the idea), say plainly that an AI cannot keep someone
safe and encourage immediate contact with a person, give resources for the client's locale and
the emergency number, and for imminent risk lead with emergency help and putting means out of
reach. Harm to others and abuse by others get their own wording and resources.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources as _pkg
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from theraloop.agent.safety.models import RiskAssessment, RiskCategory, level_rank
from theraloop.memory.errors import InvalidInputError

__all__ = [
    "ResourceTopic",
    "CrisisResource",
    "LocaleResources",
    "CrisisResources",
    "default_resources",
    "crisis_reply",
    "resources_text",
]

ResourceTopic = Literal["suicide", "self_harm", "abuse", "violence", "general"]


class CrisisResource(BaseModel):
    """A service a person in crisis can contact."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    contact: str = Field(min_length=1, description="How to reach it, e.g. 'call or text 988'.")
    url: str | None = None
    topics: tuple[ResourceTopic, ...] = ("general",)


class LocaleResources(BaseModel):
    """Resources and the emergency number for one locale."""

    model_config = ConfigDict(frozen=True)

    locale: str
    emergency_number: str = Field(min_length=1)
    resources: tuple[CrisisResource, ...] = ()

    def pick(self, topics: set[str], limit: int = 3) -> list[CrisisResource]:
        """Return up to ``limit`` resources for ``topics``, in table order."""
        chosen = [r for r in self.resources if topics & set(r.topics)]
        return chosen[:limit]


_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$")


def _normalise(locale: str) -> tuple[str, str | None]:
    m = _LOCALE.match(locale.strip()) if isinstance(locale, str) else None
    if m is None:
        raise InvalidInputError(f"locale={locale!r} must look like 'en-US' or 'en'")
    lang = m.group(1).lower()
    region = m.group(2).upper() if m.group(2) else None
    return lang, region


class CrisisResources(BaseModel):
    """A locale-keyed table of crisis resources with an international fallback.

    Lookup order for a locale such as ``fr-BE``: the exact key, then any key of the same region
    (``*-BE``), then a bare language key (``fr``) if the table has one, then ``fallback``. A
    language alone never picks another country's numbers.

    Example:
        >>> table = default_resources()
        >>> table.for_locale("en-GB").emergency_number
        '999'
        >>> table.for_locale("pt-BR").locale
        'intl'
    """

    model_config = ConfigDict(frozen=True)

    locales: dict[str, LocaleResources]
    fallback: LocaleResources

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> CrisisResources:
        """Build a table from the YAML/JSON structure of ``data/crisis_resources.yaml``."""
        if not isinstance(data, dict) or "locales" not in data or "fallback" not in data:
            raise InvalidInputError(
                "a crisis-resource table needs 'locales' and 'fallback' keys, got "
                f"{sorted(data) if isinstance(data, dict) else type(data).__name__!r}"
            )
        locales = {}
        for key, value in data["locales"].items():
            lang, region = _normalise(key)
            norm = f"{lang}-{region}" if region else lang
            locales[norm] = LocaleResources(locale=norm, **value)
        fallback = dict(data["fallback"])
        fallback.setdefault("locale", "intl")
        return cls(locales=locales, fallback=LocaleResources(**fallback))

    @classmethod
    def from_file(cls, path: str | Path) -> CrisisResources:
        """Load a table from a YAML or JSON file (same structure as the shipped default)."""
        import yaml

        p = Path(path)
        if not p.is_file():
            raise InvalidInputError(f"crisis-resource file {str(p)!r} does not exist")
        return cls.from_mapping(yaml.safe_load(p.read_text("utf-8")))

    def for_locale(self, locale: str) -> LocaleResources:
        """Return the resources for ``locale`` (see the class docstring for the lookup order)."""
        lang, region = _normalise(locale)
        exact = f"{lang}-{region}" if region else lang
        if exact in self.locales:
            return self.locales[exact]
        if region:
            for key, value in self.locales.items():
                if key.endswith(f"-{region}"):
                    return value
        if lang in self.locales:
            return self.locales[lang]
        return self.fallback


@lru_cache(maxsize=1)
def default_resources() -> CrisisResources:
    """Return the shipped table (988 US, Samaritans UK/IE, findahelpline.com fallback, ...)."""
    import yaml

    text = (
        _pkg.files("theraloop.agent.safety")
        .joinpath("data/crisis_resources.yaml")
        .read_text("utf-8")
    )
    return CrisisResources.from_mapping(yaml.safe_load(text))


_TOPICS: dict[str, set[str]] = {
    "suicide": {"suicide", "general"},
    "self_harm": {"self_harm", "suicide", "general"},
    "harm_to_others": {"violence", "general"},
    "abuse_by_others": {"abuse"},
}


def resources_text(
    focus: RiskCategory | str = "suicide",
    locale: str = "en-US",
    resources: CrisisResources | None = None,
) -> str:
    """Return the bullet list of resources for ``focus`` in ``locale``."""
    table = resources or default_resources()
    entry = table.for_locale(locale)
    topics = _TOPICS.get(focus, {"general"})
    chosen = entry.pick(topics)
    if focus == "abuse_by_others":
        chosen += [r for r in entry.pick({"general"}, 1) if r not in chosen]
    if not chosen:
        chosen = table.fallback.pick(topics | {"general"})
    lines = []
    for r in chosen:
        url = f" ({r.url})" if r.url else ""
        lines.append(f"- {r.name}: {r.contact}{url}")
    return "\n".join(lines)


def crisis_reply(
    assessment: RiskAssessment,
    locale: str = "en-US",
    resources: CrisisResources | None = None,
    *,
    urgent: str = "",
) -> str:
    """Return the fixed crisis reply for ``assessment`` in ``locale``.

    The reply never depends on a model. It is worded for the assessment's focus (suicide,
    self-harm, harm to others, abuse) and leads with emergency help when the level is imminent.
    ``urgent`` (see :func:`~theraloop.agent.safety.guards.protocol_urgent_lines`) follows its
    direct question: what else comes first in what the client said, such as a child kept from
    food.
    """
    also = f"{' '.join(urgent.split())}\n" if urgent.strip() else ""
    table = resources or default_resources()
    entry = table.for_locale(locale)
    emergency = entry.emergency_number
    focus = assessment.protocol_focus
    if focus is None:
        focus = "suicide"
        for cat in ("harm_to_others", "abuse_by_others"):
            if cat in assessment.categories and assessment.level == "none":
                focus = cat
    listing = resources_text(focus, locale, table)
    imminent = level_rank(assessment.level) >= level_rank("imminent") or (
        assessment.category_levels.get("harm_to_others") == "imminent"
    )

    if focus == "abuse_by_others":
        return (
            "Thank you for telling me. What is happening to you is not your fault, and you "
            "deserve to be safe.\n"
            "Are you safe right now? Is the person who hurt you nearby?\n"
            f"{also}"
            f"If you are in danger right now, call {emergency} if you can do so safely. I'm an AI "
            "and I can't step in or keep you safe, but these services can, confidentially:\n"
            f"{listing}\n"
            "I'm here and I'll keep talking with you."
        )
    if focus == "harm_to_others":
        opening = (
            f"If anyone is in immediate danger, please call {emergency} now.\n" if imminent else ""
        )
        return (
            f"{opening}I can hear how intense this is for you right now, and I'm glad you said it "
            "out loud instead of acting on it.\n"
            "I want to ask you directly: are you thinking about hurting someone, and do you feel "
            "close to acting on it?\n"
            f"{also}"
            "Please put some distance between yourself and that person, and between yourself and "
            "anything you could use to hurt someone. I'm an AI and can't help in the way a person "
            "can right now, so please reach out to someone now:\n"
            f"{listing}\n"
            f"If anyone is in immediate danger, call {emergency}. I'm here and I'll keep talking "
            "with you."
        )
    if imminent:
        return (
            "I'm really worried about your safety right now, and I'm glad you told me.\n"
            f"Please call {emergency} now, or go to the nearest emergency department. If you "
            "have taken something or hurt yourself, tell them exactly what happened.\n"
            "Are you safe at this moment? If there is anything near you that you could use to "
            "hurt yourself, please move away from it or give it to someone else.\n"
            f"{also}"
            "I'm an AI and can't keep you safe the way a person can. Please also reach out now:\n"
            f"{listing}\n"
            "If you can, get someone to stay with you. I'm here and I'll keep talking with you "
            "while you get help."
        )
    if focus == "self_harm":
        return (
            "Thank you for trusting me with this. I'm really glad you told me, and I'm taking it "
            "seriously.\n"
            "Are you hurt right now, and does any injury need medical care? Are you also having "
            "thoughts of ending your life?\n"
            f"{also}"
            "I'm an AI, so I can't be with you the way a person can, and you deserve that support "
            "right now. Please reach out to someone now:\n"
            f"{listing}\n"
            f"If you are badly hurt or might go further, call {emergency} or go to the nearest "
            "emergency department. I'm here and I'll keep talking with you."
        )
    return (
        "Thank you for telling me. I can hear how much pain you're in right now, and I'm taking "
        "what you said seriously.\n"
        "I want to ask you directly: are you thinking about ending your life? Are you safe right "
        "now?\n"
        f"{also}"
        "I'm an AI, so I can't be with you or keep you safe the way a person can, and you deserve "
        "that support right now. Please reach out to someone now:\n"
        f"{listing}\n"
        f"If you might act on these thoughts, or you have already hurt yourself, call {emergency} "
        "or go to the nearest emergency department. If you can, tell someone you trust how you're "
        "feeling and don't stay alone.\n"
        "I'm here and I'll keep talking with you while you reach out."
    )
