"""The built wheel ships every subpackage and data file a user's import needs."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "memory", "strategies", "simulations")


def test_wheel_contains_every_package_and_data_file(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(ROOT),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("theraloop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in PACKAGES:
        for init in (ROOT / top).rglob("__init__.py"):
            assert init.relative_to(ROOT).as_posix() in names
        for data in (ROOT / top).rglob("*.yaml"):
            assert data.relative_to(ROOT).as_posix() in names
