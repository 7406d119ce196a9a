"""The distribution installs one top-level package, ``theraloop``, with every file it needs."""

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("agent", "memory", "strategies", "simulations")
"""Repository folders that install as ``theraloop.<folder>``."""


def _wheel_names(tmp_path: Path) -> set[str]:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + [str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("theraloop-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_contains_every_package_and_data_file(tmp_path: Path) -> None:
    names = _wheel_names(tmp_path)
    tops = {name.split("/")[0] for name in names if not name.startswith("theraloop-")}
    assert tops == {"theraloop"}
    for layer in LAYERS:
        for pattern in ("*.py", "*.yaml", "*.npz"):
            for path in (ROOT / layer).rglob(pattern):
                assert f"theraloop/{path.relative_to(ROOT).as_posix()}" in names


def test_every_subpackage_is_listed_for_setuptools() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        "theraloop." + ".".join(init.parent.relative_to(ROOT).parts)
        for layer in LAYERS
        for init in (ROOT / layer).rglob("__init__.py")
    }
    assert set(config["packages"]) == found | {"theraloop"}


def test_no_code_imports_a_layer_as_a_top_level_package() -> None:
    """``import agent`` would load a second copy of the layer beside ``theraloop.agent``."""
    offenders = []
    folders = (*LAYERS, "theraloop", "tests", "benchmarks", "examples")
    for path in (p for folder in folders for p in (ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            if any(module.split(".")[0] in LAYERS for module in modules):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_an_app_with_its_own_memory_and_agent_modules_imports_theraloop(tmp_path: Path) -> None:
    (tmp_path / "memory.py").write_text("NOTES = []\n")
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "__init__.py").write_text("NAME = 'mine'\n")
    code = (
        "import agent, memory\n"
        "from theraloop import Settings, TherapistAgent\n"
        "from theraloop.memory import ManualClock\n"
        "print(agent.NAME, memory.NOTES, TherapistAgent.__module__, ManualClock.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "mine",
        "[]",
        "theraloop.agent.therapist",
        "theraloop.memory.clock",
    ]
