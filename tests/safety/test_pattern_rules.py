"""The pattern rules as data: every file is loaded, every example flags, bad files are refused."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from theraloop.agent.safety.patterns import (
    MODIFIER_SIGNALS,
    RULE_FILES,
    Rule,
    expand_fragments,
    load_rule_set,
    mask_idioms,
    rule_set,
    scan,
)

DATA = Path(str(resources.files("theraloop.agent.safety").joinpath("data/patterns")))
SUPPORT_FILES = {"fragments", "idioms", "filters"}


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "patterns"
    shutil.copytree(DATA, target)
    return target


def test_every_yaml_file_is_a_listed_rule_file_or_a_support_file() -> None:
    on_disk = {p.stem for p in DATA.glob("*.yaml")}
    assert on_disk == set(RULE_FILES) | SUPPORT_FILES


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in rule_set().rules]
    assert len(ids) == len(set(ids))


def test_rules_of_level_none_are_modifiers() -> None:
    quiet = {r.signal for r in rule_set().rules if r.level == "none"}
    assert quiet <= MODIFIER_SIGNALS


def test_every_rule_has_an_example() -> None:
    assert [r.id for r in rule_set().rules if not r.examples] == []


@pytest.mark.parametrize("rule", rule_set().rules, ids=lambda r: r.id)
def test_each_example_is_flagged_by_its_own_rule(rule: Rule) -> None:
    for example in rule.examples:
        spans = {(m.start(), m.end()) for m in rule.regex.finditer(mask_idioms(example))}
        hits = scan(example)
        assert any(h.signal == rule.signal and (h.start, h.end) in spans for h in hits), example


def test_the_shipped_rules_are_compiled_once() -> None:
    assert rule_set() is rule_set()


def test_a_copy_of_the_data_loads_the_same_rules(tmp_path: Path) -> None:
    copy = load_rule_set(_copy_data(tmp_path))
    assert [(r.id, r.regex.pattern) for r in copy.rules] == [
        (r.id, r.regex.pattern) for r in rule_set().rules
    ]


def test_a_duplicate_rule_id_is_refused_naming_file_and_rule(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    mania = data / "mania.yaml"
    mania.write_text(mania.read_text().replace("id: grandiosity-01", "id: sleep_loss-01"))
    with pytest.raises(ValueError, match=r"mania\.yaml: sleep_loss-01: duplicate rule id"):
        load_rule_set(data)


def test_an_unknown_fragment_is_refused(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    intent = data / "intent.yaml"
    intent.write_text(intent.read_text().replace("{SUICIDE_ACT}", "{SUICIDE_ACTS}", 1))
    with pytest.raises(ValueError, match=r"intent\.yaml: intent-01: unknown fragment"):
        load_rule_set(data)


def test_data_outside_the_rules_names_the_shared_words_and_an_unknown_one_is_refused() -> None:
    assert "{" not in expand_fragments("{IM} alone", "safe_replies.yaml: urgent x cue")
    with pytest.raises(ValueError, match=r"safe_replies\.yaml: urgent x cue: unknown fragment"):
        expand_fragments("{NO_SUCH_WORDS}", "safe_replies.yaml: urgent x cue")


def test_a_regex_that_does_not_compile_is_refused(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    (data / "psychosis.yaml").write_text(
        "rules:\n  - id: broken\n    signal: delusion\n    category: delusion\n"
        "    level: moderate\n    pattern: '(unclosed'\n"
    )
    with pytest.raises(ValueError, match=r"psychosis\.yaml: broken: invalid regex"):
        load_rule_set(data)


def test_an_unknown_level_is_refused(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    (data / "psychosis.yaml").write_text(
        "rules:\n  - id: odd\n    signal: delusion\n    category: delusion\n"
        "    level: severe\n    pattern: 'x'\n"
    )
    with pytest.raises(ValueError, match=r"(?s)psychosis\.yaml: .*level"):
        load_rule_set(data)
