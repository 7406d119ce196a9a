"""The notebooks are committed clean and take their inputs from one parameters cell.

Executing them is nbmake's job (`pytest --nbmake notebooks` in tests/run_all.sh); these checks
are instant and run with the fast suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_documented_notebooks_exist():
    assert {"memory_traces.ipynb", "simulation_run.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    dirty = [
        i
        for i, c in enumerate(cells(path))
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them (notebooks/README.md)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_read_their_run_from_a_parameters_cell(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    first = code[0]
    assert "parameters" in first.get("metadata", {}).get("tags", [])
    assert "THERALOOP_RUN_DIR" in "".join(first["source"])
