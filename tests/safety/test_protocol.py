"""Crisis protocol: fixed replies, locale-keyed resources, the crisis event record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from theraloop.agent.safety import (
    CrisisEvent,
    CrisisResources,
    RiskAssessment,
    crisis_reply,
    default_resources,
)
from theraloop.memory.errors import InvalidInputError


def risk(level: str = "moderate", **cats: str) -> RiskAssessment:
    levels = dict(cats)
    if level != "none":
        levels.setdefault("suicide", level)
    return RiskAssessment(level=level, categories=list(levels), category_levels=levels)


def test_suicide_reply_acknowledges_asks_directly_urges_help_and_lists_us_resources() -> None:
    text = crisis_reply(risk("moderate"))
    assert "Thank you for telling me" in text
    assert "are you thinking about ending your life" in text.lower()
    assert "safe" in text
    assert "988" in text and "911" in text
    assert "I'm an AI" in text


def test_the_reply_is_fixed_for_the_same_assessment() -> None:
    assert crisis_reply(risk("high")) == crisis_reply(risk("high"))


def test_imminent_reply_leads_with_emergency_help_and_means_distance() -> None:
    text = crisis_reply(risk("imminent"))
    first = text.splitlines()[1]
    assert "911" in first
    assert "move away from it" in text


def test_uk_locale_gives_samaritans_and_999() -> None:
    text = crisis_reply(risk("moderate"), locale="en-GB")
    assert "116 123" in text and "999" in text and "988" not in text


def test_unknown_locale_falls_back_to_the_international_directory() -> None:
    text = crisis_reply(risk("moderate"), locale="pt-BR")
    assert "findahelpline.com" in text
    assert "112" in text


def test_region_lookup_does_not_borrow_another_countrys_numbers_by_language() -> None:
    table = default_resources()
    assert table.for_locale("en-IE").emergency_number.startswith("112")
    assert table.for_locale("en").locale == "intl"
    assert table.for_locale("en_gb").emergency_number == "999"


def test_bad_locale_is_refused_with_the_expected_form() -> None:
    with pytest.raises(InvalidInputError, match="en-US"):
        default_resources().for_locale("english please")


def test_abuse_reply_says_it_is_not_their_fault_and_gives_abuse_resources() -> None:
    r = RiskAssessment(
        level="none", categories=["abuse_by_others"], category_levels={"abuse_by_others": "high"}
    )
    assert r.requires_protocol
    text = crisis_reply(r)
    assert "not your fault" in text
    assert "Domestic Violence Hotline" in text


def test_harm_to_others_reply_asks_about_acting_and_distance() -> None:
    r = RiskAssessment(
        level="none", categories=["harm_to_others"], category_levels={"harm_to_others": "high"}
    )
    text = crisis_reply(r)
    assert "hurting someone" in text and "distance" in text


def test_self_harm_reply_asks_about_injury() -> None:
    r = RiskAssessment(
        level="moderate", categories=["self_harm"], category_levels={"self_harm": "moderate"}
    )
    assert "injury" in crisis_reply(r)


def test_resource_table_is_configurable_from_a_file(tmp_path) -> None:
    path = tmp_path / "table.yaml"
    path.write_text(
        "fallback:\n  emergency_number: '112'\n  resources: []\n"
        "locales:\n  nl-NL:\n    emergency_number: '112'\n    resources:\n"
        "      - {name: '113 Zelfmoordpreventie', contact: 'bel 113 of 0800-0113', "
        "topics: [suicide, general]}\n"
    )
    table = CrisisResources.from_file(path)
    text = crisis_reply(risk("moderate"), locale="nl-NL", resources=table)
    assert "0800-0113" in text and "112" in text


def test_malformed_table_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="locales"):
        CrisisResources.from_mapping({"nope": 1})


def test_crisis_event_records_the_assessment_and_refuses_naive_time() -> None:
    r = risk("high")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    event = CrisisEvent(client_id="c1", session_id="s1", at=at, assessment=r, reply=crisis_reply(r))
    assert CrisisEvent.model_validate_json(event.model_dump_json()) == event
    with pytest.raises(ValidationError):
        CrisisEvent(
            client_id="c1", session_id="s1", at=datetime(2026, 1, 5), assessment=r, reply="x"
        )


@pytest.mark.parametrize(
    ("level", "cats", "expected"),
    [
        ("none", {}, False),
        ("low", {}, False),
        ("moderate", {}, True),
        ("none", {"abuse_by_others": "moderate"}, False),
        ("none", {"abuse_by_others": "high"}, True),
        ("none", {"harm_to_others": "high"}, True),
        ("none", {"delusion": "moderate", "mania": "high"}, False),
    ],
)
def test_requires_protocol_rule(level: str, cats: dict, expected: bool) -> None:
    r = RiskAssessment(level=level, categories=list(cats), category_levels=cats)
    assert r.requires_protocol is expected
