"""BENCHMARKS.md is generated from benchmarks/results/*.json and never edited by hand."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
_RESULTS = _ROOT / "benchmarks" / "results"


def _load(name: str):
    """Import a benchmark script by path, leaving sys.path as it was."""
    path = _ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


writer = _load("write_benchmarks_md")
record = sys.modules["_record"]


def test_committed_benchmarks_md_is_the_rendered_records():
    expected = writer.render(writer.load_records(_RESULTS))
    actual = (_ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert actual == expected, "BENCHMARKS.md is out of date: run benchmarks/write_benchmarks_md.py"


def test_every_record_names_its_command_date_commit_and_machine():
    for path in sorted(_RESULTS.glob("*.json")):
        rec = record.load_record(path)
        assert rec.command and rec.commit and rec.machine, path.name
        assert len(rec.date) == 10 and rec.date[4] == "-" and rec.date[7] == "-", path.name


def test_check_fails_when_a_record_changes(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(_RESULTS, results)
    output = tmp_path / "BENCHMARKS.md"
    assert writer.main(["--results", str(results), "--output", str(output)]) == 0
    assert writer.main(["--results", str(results), "--output", str(output), "--check"]) == 0

    path = next(iter(sorted(results.glob("*.json"))))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["date"] = "1999-01-01"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert writer.main(["--results", str(results), "--output", str(output), "--check"]) == 1


def test_records_render_in_order_under_their_area(tmp_path):
    table = record.Table(columns=("system", "score"), rows=(("baseline", "0.10"),), caption="")
    common = dict(command="python b.py", date="2026-12-05", commit="abc1234", machine="m")
    record.save_record(
        record.Record(order=2, area="Memory", title="Second", tables=(table,), **common),
        tmp_path / "b.json",
    )
    record.save_record(
        record.Record(order=1, area="Memory", title="First", notes=("Intro.",), **common),
        tmp_path / "a.json",
    )
    text = writer.render(writer.load_records(tmp_path))
    assert text.count("## Memory\n") == 1
    assert text.index("### First") < text.index("### Second")
    assert "| baseline | 0.10 |" in text
    assert "Command: `python b.py`" in text


def test_a_record_missing_a_field_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"order": 1, "title": "x"}), encoding="utf-8")
    with pytest.raises(ValueError, match="lacks"):
        record.load_record(path)


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="cells"):
        record.Table(columns=("a", "b"), rows=(("only one",),))


def test_write_record_keeps_the_reading_of_an_earlier_run(tmp_path):
    path = tmp_path / "r.json"
    table = record.Table(columns=("a",), rows=(("1",),))
    kwargs = dict(order=1, area="A", title="T", machine="m", tables=(table,), argv=["b.py"])
    record.write_record(path, after=("What the figure means.",), **kwargs)
    rerun = record.write_record(path, **kwargs)
    assert rerun.after == ("What the figure means.",)
    assert rerun.command == "python b.py"
