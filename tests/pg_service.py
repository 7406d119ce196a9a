"""Throwaway PostgreSQL (and Chroma server) for tests: real engines on 127.0.0.1, temp dirs.

``postgres_cluster`` (session scope) finds the PostgreSQL server binaries, installs the Debian
package when they are missing (``apt-get install -y postgresql``, after ``apt-get update`` if the
first try fails), runs ``initdb`` into a temp dir and ``pg_ctl start`` on a free port, and stops
and deletes the cluster at the end. PostgreSQL refuses to run as root, so as root the cluster
belongs to the ``postgres`` user (``runuser``). ``postgres_url`` gives each test a fresh database.

``chroma_server_url`` (session scope) starts ``chroma run`` from the venv on a free port.

Both skip with a visible reason only when the platform cannot run the engine at all (no
package manager and no binaries, not root and no binaries); CI has both.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "PostgresCluster",
    "find_pg_bin",
    "start_postgres",
    "start_chroma",
    "postgres_cluster",
    "postgres_url",
    "chroma_server_url",
    "free_port",
]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin_dirs() -> list[Path]:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
    )
    dirs = [Path(p).parent for p in reversed(found)]
    on_path = shutil.which("initdb")
    if on_path:
        dirs.append(Path(os.path.realpath(on_path)).parent)
    return [d for d in dirs if (d / "pg_ctl").exists()]


def find_pg_bin(install: bool = True) -> Path | None:
    """Return the directory of ``initdb``/``pg_ctl``; install PostgreSQL if allowed and needed."""
    dirs = _bin_dirs()
    if dirs or not install:
        return dirs[0] if dirs else None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        subprocess.run(cmd, env=env, capture_output=True)
    dirs = _bin_dirs()
    return dirs[0] if dirs else None


@dataclass
class PostgresCluster:
    """A running throwaway cluster; ``url(db)`` names one of its databases."""

    bin_dir: Path
    root: Path
    port: int
    run_as: str | None
    process_log: Path

    def url(self, database: str = "postgres") -> str:
        """Return the connection URL of ``database`` (user ``postgres``, trust auth, loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server immediately and delete its files."""
        _pg(self, "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _pg(cluster: PostgresCluster, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(cluster.bin_dir / tool), *args]
    if cluster.run_as:
        cmd = ["runuser", "-u", cluster.run_as, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def start_postgres(bin_dir: Path) -> PostgresCluster:
    """Create and start a cluster in a temp dir on a free loopback port.

    Raises:
        RuntimeError: initdb or pg_ctl failed; the message carries their output.
    """
    run_as = None
    root = Path(tempfile.mkdtemp(prefix="theraloop-pg-"))
    if os.geteuid() == 0:  # postgres refuses to run as root
        run_as = "postgres"
        try:
            user = pwd.getpwnam(run_as)
        except KeyError as exc:
            raise RuntimeError("running as root but there is no 'postgres' user") from exc
        os.chown(root, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(bin_dir, root, free_port(), run_as, root / "server.log")
    init = _pg(
        cluster,
        "initdb",
        "-D",
        str(root / "data"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    options = f"-h 127.0.0.1 -p {cluster.port} -k {root} -F -c max_connections=200"
    start = _pg(
        cluster,
        "pg_ctl",
        "-D",
        str(root / "data"),
        "-o",
        options,
        "-l",
        str(cluster.process_log),
        "-w",
        "-t",
        "60",
        "start",
    )
    if start.returncode != 0:
        log = cluster.process_log.read_text() if cluster.process_log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{log}")
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the whole test session (installed from Debian if missing)."""
    try:
        import psycopg  # noqa: F401
        from langgraph.checkpoint.postgres import PostgresSaver  # noqa: F401
    except ImportError as exc:  # pragma: no cover - dev extras always install them
        pytest.skip(f"PostgreSQL client libraries are not installed: {exc}")
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL binaries not found and cannot be installed here "
            "(needs root and apt-get: apt-get install -y postgresql)"
        )
    cluster = start_postgres(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """URL of a fresh, empty database on the session's cluster (one per test: no shared state)."""
    return postgres_cluster.create_database()


def start_chroma(
    path: Path, port: int | None = None, timeout: float = 60.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``chroma run`` on 127.0.0.1 and return the process and its URL once it answers.

    Raises:
        RuntimeError: the server did not answer its heartbeat within ``timeout`` seconds.
    """
    exe = Path(sys.executable).with_name("chroma")
    port = port or free_port()
    cmd = [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    log = open(path.parent / f"chroma-{port}.log", "wb")  # noqa: SIM115 - lives with the process
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    proc.wait(10)
    raise RuntimeError(
        f"chroma server did not start on {url}: "
        + (path.parent / f"chroma-{port}.log").read_text()[-2000:]
    )


@pytest.fixture(scope="session")
def chroma_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (``chroma run``) on 127.0.0.1 for the whole test session.

    Uses the shared ``tests/services.py`` helper when it is there, else :func:`start_chroma`.
    """
    if not Path(sys.executable).with_name("chroma").exists():
        pytest.skip("the 'chroma' command is not installed in this environment")
    root = tmp_path_factory.mktemp("chroma-server")
    try:
        from tests.services import ChromaServer
    except ImportError:
        ChromaServer = None  # noqa: N806
    if ChromaServer is not None:
        with ChromaServer(root / "data") as server:
            yield server.url
        return
    proc, url = start_chroma(root / "data")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
