"""Free loaded llama.cpp models safely, including at interpreter exit.

A call past its timeout is abandoned by :func:`theraloop.agent.llm.invoke_with_timeout`, but its
worker thread may still be inside ``llama_decode``. Freeing the context under it (``Llama.close()``
from a finalizer, or llama-cpp-python's own ``__del__`` during module teardown) is a
use-after-free that kills the process with SIGSEGV at exit. So:

- every release of a model takes the model's call lock first (a running call finishes first);
- at exit, :data:`EXITING` tells running generations to stop at their next token, and each
  model is released if its lock comes free within :data:`EXIT_WAIT_S`; otherwise its native
  memory is deliberately left to the operating system (the process is ending anyway), so no
  free can race the decoding thread.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from contextlib import ExitStack
from typing import Any

__all__ = ["EXITING", "EXIT_WAIT_S", "release", "track"]

EXITING = threading.Event()
"""Set at interpreter exit: generations in flight stop at their next token."""

EXIT_WAIT_S = 20.0
"""How long exit waits for a model's running call (prompt evaluation cannot be interrupted)."""

_finalizers: list[weakref.finalize] = []
_abandoned: list[ExitStack] = []


def release(llama: Any, lock: threading.Lock, wait_s: float | None = None) -> bool:
    """Close ``llama`` once ``lock`` is free; after ``wait_s`` seconds, leave it unfreed.

    Returns whether the model was closed. ``None`` waits as long as it takes.
    """
    if lock.acquire(timeout=-1 if wait_s is None else wait_s):
        try:
            llama.close()
        finally:
            lock.release()
        return True
    _disarm(llama)
    return False


def _disarm(llama: Any) -> None:
    """Drop llama-cpp-python's pending frees without running them (its objects' exit stacks)."""
    for part in (llama, *(getattr(llama, name, None) for name in ("_model", "_ctx", "_batch"))):
        stack = getattr(part, "_stack", None) or getattr(part, "_exit_stack", None)
        if isinstance(stack, ExitStack):
            _abandoned.append(stack.pop_all())


def track(owner: object, llama: Any, lock: threading.Lock) -> weakref.finalize:
    """Release ``llama`` when ``owner`` is garbage collected, or at exit; return the finalizer.

    Calling the returned finalizer releases the model now (waiting for a running call).
    """
    finalizer = weakref.finalize(owner, release, llama, lock)
    finalizer.atexit = False  # exit is handled by _release_all_at_exit, with a bounded wait
    _finalizers[:] = [*(f for f in _finalizers if f.alive), finalizer]
    return finalizer


@atexit.register
def _release_all_at_exit() -> None:
    EXITING.set()
    for finalizer in list(_finalizers):
        detached = finalizer.detach()
        if detached is not None:
            _, _, (llama, lock), _ = detached
            release(llama, lock, EXIT_WAIT_S)
