"""Append-only trace storage: one JSON Lines file per client, or a dict in memory."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from theraloop.memory.errors import StoreError
from theraloop.memory.models import TraceEvent


class TraceLog:
    """Where a store appends its trace events.

    Files are named after the client's collection (a sanitised id plus a hash), never after the raw
    client id, so no id can escape ``directory``.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memory: dict[str, list[TraceEvent]] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path | None:
        """Return the file that holds ``key``'s trace (``None`` when kept in memory)."""
        return None if self.directory is None else self.directory / f"{key}.jsonl"

    def append(self, key: str, events: Sequence[TraceEvent]) -> None:
        """Append ``events`` (one write call, so concurrent appenders interleave whole lines)."""
        if not events:
            return
        path = self.path(key)
        if path is None:
            self._memory.setdefault(key, []).extend(events)
            return
        payload = "".join(e.model_dump_json() + "\n" for e in events)
        try:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(payload)
        except OSError as exc:
            raise StoreError(f"could not append to the memory trace {str(path)!r}: {exc}") from exc

    def read(self, key: str) -> list[TraceEvent]:
        """Return every event of ``key``, oldest first (a torn last line is skipped)."""
        path = self.path(key)
        if path is None:
            return list(self._memory.get(key, ()))
        if not path.exists():
            return []
        events = []
        with path.open(encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                events.append(TraceEvent.model_validate(json.loads(line)))
            except ValueError as exc:
                if number == len(lines):  # a crash mid-append leaves at most one torn line
                    break
                raise StoreError(f"corrupt memory trace {str(path)!r}, line {number}") from exc
        return events

    def exists(self, key: str) -> bool:
        """Return whether any trace is stored for ``key``."""
        path = self.path(key)
        return key in self._memory if path is None else path.exists()

    def delete(self, key: str) -> tuple[int, int]:
        """Delete ``key``'s trace; return (events deleted, files deleted)."""
        path = self.path(key)
        if path is None:
            return len(self._memory.pop(key, [])), 0
        if not path.exists():
            return 0, 0
        try:
            with path.open(encoding="utf-8", errors="replace") as fh:
                count = sum(1 for line in fh if line.strip())
            os.remove(path)
        except OSError as exc:
            raise StoreError(f"could not delete the memory trace {str(path)!r}: {exc}") from exc
        return count, 1

    def rewrite(self, key: str, events: Sequence[TraceEvent]) -> None:
        """Replace ``key``'s whole trace with ``events`` (written aside, then renamed over)."""
        path = self.path(key)
        if path is None:
            self._memory[key] = list(events)
            return
        aside = path.with_suffix(".jsonl.tmp")
        try:
            aside.write_text("".join(e.model_dump_json() + "\n" for e in events), encoding="utf-8")
            os.replace(aside, path)
        except OSError as exc:
            raise StoreError(f"could not rewrite the memory trace {str(path)!r}: {exc}") from exc
