from __future__ import annotations

from pathlib import Path

import pytest

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.cactus import default_cactus_path, load_cactus, parse_cactus_spec
from theraloop.simulations.profile_specs import resolve_profiles

REPO = Path(__file__).resolve().parents[2]
CACTUS = REPO.parent / "shared" / "data" / "cactus" / "cactus_dev.json"
needs_cactus = pytest.mark.skipif(
    not CACTUS.is_file(), reason=f"Cactus data not found at {CACTUS} (GPL data, not shipped)"
)


def test_default_cactus_path_sits_beside_the_repository():
    assert default_cactus_path(REPO) == CACTUS.resolve()


def test_cactus_spec_gives_path_and_count():
    assert parse_cactus_spec("cactus:/data/c.json:5") == (Path("/data/c.json"), 5)
    assert parse_cactus_spec("cactus:/data/c.json") == (Path("/data/c.json"), None)
    path, limit = parse_cactus_spec("cactus::3", repo_root=REPO)
    assert path == CACTUS.resolve() and limit == 3


def test_cactus_count_must_be_positive():
    with pytest.raises(InvalidInputError, match="positive"):
        parse_cactus_spec("cactus:/x.json:0")


def test_missing_cactus_file_says_where_it_is_expected(tmp_path: Path):
    with pytest.raises(InvalidInputError, match="cactus_dev.json"):
        load_cactus(tmp_path / "nope.json")


@needs_cactus
def test_cactus_forms_load_as_cbt_profiles_with_their_attitude():
    profiles = load_cactus(CACTUS, limit=6)
    assert len(profiles) == 6
    assert len({p.id for p in profiles}) == 6
    for p in profiles:
        assert p.source == "cactus" and p.responds_to == ("cbt",)
        assert p.attitude in p.tags
        assert p.complaints and p.intake_form
    stages = {p.attitude: p.stage_of_change for p in load_cactus(CACTUS)}
    assert stages == {
        "positive": "preparation",
        "neutral": "contemplation",
        "negative": "precontemplation",
    }


@needs_cactus
def test_cactus_spec_resolves_through_profile_resolution():
    profiles = resolve_profiles([f"cactus:{CACTUS}:2", "depression-maya"])
    assert [p.source for p in profiles] == ["cactus", "cactus", "theraloop"]
