"""Benchmark records: one JSON file per BENCHMARKS.md section, read and written here.

A record lives in ``benchmarks/results/<slug>.json`` and holds one run's figures with what is
needed to repeat it::

    {
      "order": 201,                      # sort key in BENCHMARKS.md; hundreds group an area
      "area": "Memory",                  # the ## heading the section sits under
      "title": "Memory probes",          # the ### heading
      "command": "benchmarks/memory_probe.py --json OUT",
      "date": "2026-12-05",
      "commit": "055b4f8",               # short hash, or "not recorded"
      "machine": "2-core CPU dev machine",
      "notes": ["markdown paragraph", ...],            # before the tables
      "tables": [{"caption": "markdown or empty",      # printed above its table
                  "columns": ["gap", "hit@5"],
                  "rows": [["7", "0.765"], ...]}],     # cells are strings, already formatted
      "after": ["markdown paragraph", ...]             # after the tables
    }

Benchmark scripts write records through :func:`write_record` (their ``--record PATH`` option,
see :func:`add_record_options`); ``benchmarks/write_benchmarks_md.py`` renders them all into
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DEFAULT_MACHINE = "2-core CPU dev machine"
"""The machine named in a record unless ``--machine`` says otherwise."""

_KEYS = ("order", "area", "title", "command", "date", "commit", "machine")


@dataclass(frozen=True)
class Table:
    """One markdown table of a record, with the paragraph printed above it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row {row!r} has {len(row)} cells for {len(self.columns)} columns"
                )


@dataclass(frozen=True)
class Record:
    """One BENCHMARKS.md section: a run's command, date, commit, machine and figures."""

    order: int
    area: str
    title: str
    command: str
    date: str
    commit: str
    machine: str
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    after: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        """Return the record as the JSON object stored on disk."""
        return {
            **{key: getattr(self, key) for key in _KEYS},
            "notes": list(self.notes),
            "tables": [
                {
                    "caption": t.caption,
                    "columns": list(t.columns),
                    "rows": [list(r) for r in t.rows],
                }
                for t in self.tables
            ],
            "after": list(self.after),
        }


def parse_record(data: dict[str, object]) -> Record:
    """Build a record from its JSON object; raise ``ValueError`` naming a missing or wrong field."""
    missing = [key for key in (*_KEYS, "notes", "tables", "after") if key not in data]
    if missing:
        raise ValueError(f"record lacks {', '.join(missing)}")
    extra = set(data) - {*_KEYS, "notes", "tables", "after"}
    if extra:
        raise ValueError(f"record has unknown fields {', '.join(sorted(extra))}")
    if not isinstance(data["order"], int):
        raise ValueError("order must be an integer")
    for key in _KEYS[1:]:
        if not isinstance(data[key], str):
            raise ValueError(f"{key} must be a string")
    tables = data["tables"]
    if not isinstance(tables, list):
        raise ValueError("tables must be a list")
    return Record(
        order=data["order"],
        area=str(data["area"]),
        title=str(data["title"]),
        command=str(data["command"]),
        date=str(data["date"]),
        commit=str(data["commit"]),
        machine=str(data["machine"]),
        notes=_strings(data["notes"], "notes"),
        tables=tuple(
            Table(
                caption=str(t.get("caption", "")),
                columns=_strings(t["columns"], "columns"),
                rows=tuple(_strings(row, "row") for row in t["rows"]),
            )
            for t in tables
        ),
        after=_strings(data["after"], "after"),
    )


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def load_record(path: Path) -> Record:
    """Read one record file."""
    try:
        return parse_record(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def save_record(record: Record, path: Path) -> None:
    """Write a record as indented JSON (stable, so a rerun's diff shows only what moved)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record.to_json(), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def current_commit() -> str:
    """Return the short hash of the checked-out commit, or "not recorded" outside a git tree."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return "not recorded"
    return out.stdout.strip()


def command_line(argv: Sequence[str] | None = None) -> str:
    """Return the command a benchmark was run with, script path relative to the repository."""
    args = list(sys.argv if argv is None else argv)
    script = Path(args[0]).resolve() if args else None
    root = Path(__file__).resolve().parents[1]
    if script is not None and script.is_relative_to(root):
        args[0] = str(script.relative_to(root))
    return "python " + " ".join(args)


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--record PATH`` and ``--machine NAME`` to a benchmark's argument parser."""
    parser.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the figures as a BENCHMARKS.md record (benchmarks/results/<slug>.json)",
    )
    parser.add_argument(
        "--machine",
        default=DEFAULT_MACHINE,
        help=f"the machine named in the record (default: {DEFAULT_MACHINE!r})",
    )


def write_record(
    path: Path,
    *,
    order: int,
    area: str,
    title: str,
    machine: str,
    tables: Sequence[Table],
    notes: Sequence[str] = (),
    after: Sequence[str] | None = None,
    argv: Sequence[str] | None = None,
) -> Record:
    """Write this run's record to ``path`` (command from argv, today's date, HEAD's commit).

    ``after`` holds a person's reading of the figures; when it is None, the paragraphs of the
    record already at ``path`` are kept, so a rerun replaces the figures, not the reading (which
    the rerun's diff then asks its author to check).
    """
    if after is None:
        after = load_record(path).after if path.exists() else ()
    record = Record(
        order=order,
        area=area,
        title=title,
        command=command_line(argv),
        date=date.today().isoformat(),
        commit=current_commit(),
        machine=machine,
        notes=tuple(notes),
        tables=tuple(tables),
        after=tuple(after),
    )
    save_record(record, path)
    return record
