"""Print a run's transcript live, by following the JSONL traces the runner appends.

The runner fsyncs one trace record at a time (see :mod:`theraloop.simulations.trace`), so a reader
that polls the trace files sees each opening, turn and review moments after it happened, whatever
backend produced it, and needs no hook inside the runner. For each turn it prints the client's
line, the therapist's line and, dimmed, what the turn perceived and decided (emotion and
intensity, C-SSRS risk level, strategy); for each session end, the review's decision and reason.

Example:
    >>> from pathlib import Path
    >>> follower = TranscriptFollower(Path("runs/demo"))
    >>> follower.poll()  # prints whatever is new; returns how many records it printed
    0
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

__all__ = ["TranscriptFollower", "format_record"]


def _wrap(label: str, text: str, style: str) -> str:
    return f"[{style}]{label}[/] {escape(text)}"


def format_record(record: dict[str, Any]) -> list[str]:
    """Render one trace record (as stored) as rich-markup lines."""
    kind, cid = record.get("type"), record.get("client_id", "?")
    if kind == "session_start":
        lines = [
            "",
            f"[bold]── {escape(cid)} · session {record['session']} · "
            f"{str(record['at'])[:10]} ──[/]",
        ]
        if record.get("resumed"):
            lines.append("[dim](resumed an interrupted session)[/]")
        lines.append(_wrap("therapist:", record.get("opening", ""), "bold green"))
        return lines
    if kind == "turn":
        reply = record.get("therapist") or {}
        decided = (
            f"emotion {reply.get('emotion', '?')} {reply.get('intensity', '?')}/5 · "
            f"risk {reply.get('risk_level', '?')} · strategy {reply.get('strategy') or '-'}"
        )
        recalled = reply.get("recalled") or ()
        if recalled:
            decided += f" · recalled {len(recalled)} memor{'y' if len(recalled) == 1 else 'ies'}"
        if reply.get("crisis"):
            decided += " · crisis protocol"
        return [
            _wrap("client:   ", record.get("client_text", ""), "bold cyan"),
            _wrap("therapist:", reply.get("text", ""), "bold green"),
            f"[dim]           {escape(decided)}[/]",
        ]
    if kind == "session_end":
        review = record.get("review") or {}
        if not review:
            return [f"[dim]session {record['session']} ended (no review recorded)[/]"]
        before, after = review.get("modality_before"), review.get("modality_after")
        change = f"{before}" if before == after else f"{before} -> {after}"
        return [
            f"[bold magenta]review:[/] {escape(str(review.get('decision', '?')))} "
            f"({escape(str(change))})",
            f"[magenta]  reason:[/] {escape(str(review.get('reason', '')))}",
        ]
    return []


def _own_stdout() -> TextIO:
    """Return a stream on a duplicate of stdout's file descriptor.

    llama-cpp-python silences llama.cpp by pointing file descriptors 1 and 2 at /dev/null
    while it loads a model; lines this thread printed meanwhile would vanish. A duplicate
    descriptor keeps pointing at the real stdout.
    """
    try:
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (captured in tests)
        return sys.stdout
    return os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")


class TranscriptFollower:
    """Follow a run's ``traces/*.jsonl`` (and each ablation variant's) and print new records."""

    def __init__(self, run_dir: Path, console: Console | None = None) -> None:
        self._run_dir = Path(run_dir)
        self._stream = None if console is not None else _own_stdout()
        self._console = console or Console(file=self._stream, highlight=False)
        self._offsets: dict[Path, int] = {}
        """Bytes of each trace already printed (whole lines)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _paths(self) -> list[Path]:
        return sorted(
            [*self._run_dir.glob("traces/*.jsonl"), *self._run_dir.glob("*/traces/*.jsonl")]
        )

    def poll(self, *, final: bool = False) -> int:
        """Print the records written since the last poll; return how many.

        A line that does not parse yet is retried on the next poll rather than skipped (a
        reader can catch a line mid-write); only the ``final`` poll passes over it.
        """
        printed = 0
        for path in self._paths():
            offset = self._offsets.get(path, 0)
            with path.open("rb") as handle:
                handle.seek(offset)
                lines = handle.read().split(b"\n")[:-1]  # the piece after the last newline waits
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    if not final:
                        break
                    record = {}
                for text in format_record(record):
                    self._console.print(text)
                offset += len(line) + 1
                printed += 1
            self._offsets[path] = offset
        return printed

    def skip_existing(self) -> None:
        """Start after what is already written (a resumed run prints only what is new)."""
        for path in self._paths():
            raw = path.read_bytes()
            self._offsets[path] = raw.rfind(b"\n") + 1

    def start(self, interval_s: float = 0.5) -> None:
        """Poll in a background thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.poll()

        self._thread = threading.Thread(target=loop, name="theraloop-transcript", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling, then print whatever is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll(final=True)
        if self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()  # our duplicate of stdout's descriptor
