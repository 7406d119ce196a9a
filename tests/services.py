"""Real external services for tests: a `chroma run` server on 127.0.0.1 (no mocks).

Import it from any conftest (pytest puts the repository root on ``sys.path``)::

    from tests.services import ChromaServer, chroma_binary

    @pytest.fixture(scope="session")
    def chroma_server(tmp_path_factory):
        with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as server:
            yield server
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["ChromaServer", "chroma_binary", "free_port"]


def chroma_binary() -> Path | None:
    """Return the `chroma` CLI installed beside this Python (the venv's bin), or on PATH."""
    here = Path(sys.executable).parent / "chroma"
    if here.is_file() and os.access(here, os.X_OK):
        return here
    found = shutil.which("chroma")
    return Path(found) if found else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """A throwaway `chroma run --path DIR --host 127.0.0.1 --port P` process.

    Started on enter (waits for the heartbeat), killed on exit with its whole process group.
    """

    def __init__(self, path: Path, *, port: int | None = None, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.path.parent / f"{self.path.name}-chroma.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        """Start the server and wait until it answers the heartbeat.

        Raises:
            FileNotFoundError: the `chroma` CLI is not installed.
            RuntimeError: the server exited or did not answer within ``timeout_s``.
        """
        binary = chroma_binary()
        if binary is None:
            raise FileNotFoundError("the `chroma` CLI is not installed (pip install chromadb)")
        self.path.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    str(binary),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"chroma server exited with {self._proc.returncode}; log: {self.log_text()}"
                )
            if self.alive():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma server did not answer within {self.timeout_s}s")

    def alive(self) -> bool:
        """Return whether the heartbeat endpoint answers."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def log_text(self) -> str:
        """Return the end of the server log (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
