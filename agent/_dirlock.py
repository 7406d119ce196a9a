"""One process per embedded data dir, enforced with an OS file lock that names its holder.

Embedded Chroma and the SQLite checkpoint/record files are not safe to share between processes
(a second writer corrupts Chroma's index or loses turns). :func:`lock_data_dir` takes an
exclusive ``flock`` on ``<data_dir>/.theraloop.lock`` and writes the holder's pid and host into
it, so a second process gets :class:`~theraloop.agent.errors.DataDirInUseError` naming the holder.
The kernel drops the lock when its process dies, however it dies (SIGKILL, power cut excepted), so a
lock file left by a dead process is simply taken over; no pid guessing decides staleness.

Agents of one process may share a data dir (the lock is counted per process), which is what
crash-recovery code and tests do when they reopen a dir.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from theraloop.agent.errors import ConfigError, DataDirInUseError

__all__ = ["LOCK_FILE", "LockHolder", "lock_data_dir", "read_holder"]

LOCK_FILE = ".theraloop.lock"
"""Name of the lock file inside a data dir."""

_log = logging.getLogger(__name__)
_guard = threading.Lock()


@dataclass(slots=True)
class _Held:
    """A lock this process holds: its open descriptor and how many agents use it."""

    fd: int
    users: int


_held: dict[Path, _Held] = {}  # resolved lock path -> this process's hold on it


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who wrote a lock file."""

    pid: int
    """Process id of the holder."""
    host: str
    """Host name of the holder (a data dir on a shared volume may be locked from elsewhere)."""

    def describe(self) -> str:
        """Return ``pid 123 on host-a`` for messages."""
        return f"pid {self.pid} on {self.host}"


def read_holder(path: Path) -> LockHolder | None:
    """Return the holder recorded in lock file ``path``, or ``None`` if it names none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        return None
    return LockHolder(pid=data["pid"], host=str(data.get("host", "?")))


def lock_data_dir(data_dir: Path) -> Callable[[], None]:
    """Lock ``data_dir`` for this process and return the function that releases it.

    Raises:
        DataDirInUseError: another live process holds the data dir.
        ConfigError: the filesystem does not support file locks.
    """
    import fcntl  # POSIX only; imported here so the module loads (and documents) anywhere

    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / LOCK_FILE).resolve()
    with _guard:
        if path in _held:
            _held[path].users += 1
            return _releaser(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # never O_TRUNC: the holder's pid stays
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = read_holder(path)
            who = holder.describe() if holder else "another process (it has not written its pid)"
            raise DataDirInUseError(
                f"data_dir {data_dir} is in use by {who} (lock file {path}). An embedded data "
                "dir serves one process: stop that process, give this one its own data_dir, or "
                "share stores between processes with chroma_url and checkpoint_url"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise ConfigError(
                f"cannot lock data_dir {data_dir} ({exc.strerror}); put it on a local filesystem "
                "that supports file locks"
            ) from exc
        stale = read_holder(path)
        if stale is not None and stale.pid != os.getpid():
            _log.warning("took over the lock of %s left by %s (gone)", data_dir, stale.describe())
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        _held[path] = _Held(fd=fd, users=1)
    return _releaser(path)


def _releaser(path: Path) -> Callable[[], None]:
    done = False

    def release() -> None:
        nonlocal done
        with _guard:
            if done or path not in _held:
                return
            done = True
            held = _held[path]
            held.users -= 1
            if held.users > 0:
                return
            del _held[path]
            # the file stays: deleting a flock file lets two later processes lock different inodes
            os.ftruncate(held.fd, 0)
            os.close(held.fd)  # closing the last descriptor drops the flock

    return release
