"""Progress of a run on the terminal: one rich bar per client and one for all turns."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from theraloop.simulations.job import BarHandle

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["ProgressBars"]


class ProgressBars:
    """Rich progress bars per client (and overall), or nothing; a :class:`ProgressSink`."""

    def __init__(self, enabled: bool, total: int, console: Console | None = None) -> None:
        self._bar: Any = None
        self._overall: Any = None
        self._lock = threading.Lock()
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )
            self._overall = self._bar.add_task("all clients (turns)", total=total)

    @contextlib.contextmanager
    def running(self) -> Iterator[ProgressBars]:
        """Show the bars while the block runs (nothing when disabled)."""
        if self._bar is None:
            yield self
            return
        with self._bar:
            yield self

    def add(self, description: str, total: int, completed: int) -> BarHandle:
        """Open a client's bar with ``completed`` of ``total`` turns done; returns its handle."""
        if self._bar is None:
            return None
        with self._lock:
            self._bar.advance(self._overall, completed)
            return self._bar.add_task(description, total=total, completed=completed)

    def update(self, task: BarHandle, description: str) -> None:
        """Change a bar's description."""
        if self._bar is not None and task is not None:
            self._bar.update(task, description=description)

    def advance(self, task: BarHandle, steps: int = 1) -> None:
        """Count finished turns on a client's bar and the overall one."""
        if self._bar is not None and task is not None:
            self._bar.advance(task, steps)
            self._bar.advance(self._overall, steps)
