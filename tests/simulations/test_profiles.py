from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
import yaml

import theraloop.agent.safety
from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.profiles import (
    PROFILE_DIR,
    ClientProfile,
    RiskProfile,
    builtin_profile_ids,
    builtin_profiles,
    load_profile,
)
from theraloop.simulations.state import ClientState


def test_shipped_library_has_at_least_24_profiles_that_all_validate():
    profiles = builtin_profiles()
    assert len(profiles) >= 24
    assert all(isinstance(p, ClientProfile) for p in profiles)


def test_profile_risk_levels_are_the_agents_safety_levels():
    baseline = RiskProfile.model_fields["baseline"].annotation
    assert get_args(baseline) == theraloop.agent.safety.RISK_LEVELS
    assert ClientState.model_fields["risk_level"].annotation is theraloop.agent.safety.RiskLevel


def test_profile_ids_equal_their_file_names():
    for path in PROFILE_DIR.glob("*.yaml"):
        assert load_profile(path).id == path.stem


def test_library_covers_the_required_case_types():
    tags = {t for p in builtin_profiles() for t in p.tags}
    for needed in (
        "depression",
        "anxiety",
        "grief",
        "relationship conflict",
        "work stress",
        "low self-esteem",
        "trauma-adjacent",
        "substance use",
        "escalating risk",
    ):
        assert needed in tags, needed


def test_substance_use_profiles_respond_to_motivational_interviewing():
    substance = [p for p in builtin_profiles() if "substance use" in p.tags]
    assert substance and all("mi" in p.responds_to for p in substance)
    assert any(p.stage_of_change == "precontemplation" for p in substance)


def test_escalating_risk_profile_has_crisis_language_in_a_later_session():
    risky = [p for p in builtin_profiles() if "escalating risk" in p.tags]
    assert risky
    for p in risky:
        entries = [e for e in p.risk.escalation if e.statements]
        assert entries and entries[0].session >= 2
        assert entries[0].level in ("moderate", "high", "imminent")


def test_every_profile_has_a_chain_of_complaints_to_reveal():
    assert all(len(p.complaints) >= 3 for p in builtin_profiles())


def test_all_attitudes_and_early_stages_are_represented():
    profiles = builtin_profiles()
    assert {p.attitude for p in profiles} == {"positive", "neutral", "negative"}
    assert {"precontemplation", "contemplation", "preparation", "action"} <= {
        p.stage_of_change for p in profiles
    }


def test_resolve_profiles_accepts_ids_globs_files_and_folders(tmp_path: Path):
    ids = builtin_profile_ids()
    assert [p.id for p in resolve_profiles(["depression-maya"])] == ["depression-maya"]
    assert {p.id for p in resolve_profiles(["substance-*"])} == {
        i for i in ids if i.startswith("substance-")
    }
    assert [p.id for p in resolve_profiles([str(PROFILE_DIR / "risk-alex.yaml")])] == ["risk-alex"]
    assert len(resolve_profiles([str(PROFILE_DIR)])) == len(ids)
    assert len(resolve_profiles(None)) == len(ids)


def test_resolve_profiles_names_the_available_ids_for_an_unknown_one():
    with pytest.raises(InvalidInputError, match="depression-maya"):
        resolve_profiles(["no-such-client"])


def test_duplicate_ids_from_different_sources_are_refused(tmp_path: Path):
    copy = tmp_path / "maya.yaml"
    copy.write_text((PROFILE_DIR / "depression-maya.yaml").read_text())
    with pytest.raises(InvalidInputError, match="unique id"):
        resolve_profiles(["depression-maya", str(copy)])


def test_life_events_must_fall_between_sessions(tmp_path: Path):
    data = yaml.safe_load((PROFILE_DIR / "depression-maya.yaml").read_text())
    data["life_events"] = {1: {"description": "something", "emotion": "sadness", "impact": -0.2}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(InvalidInputError, match="life_events"):
        load_profile(bad)


def test_intake_form_is_rendered_from_the_fields_when_missing():
    p = load_profile(PROFILE_DIR / "depression-maya.yaml")
    assert p.name in p.intake_form and "Presenting problem" in p.intake_form
