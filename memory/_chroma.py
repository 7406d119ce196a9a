"""Opening Chroma and naming collections: the only place that knows Chroma's rules."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import struct
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from theraloop.memory import _validation as v
from theraloop.memory.errors import InvalidInputError, StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

__all__ = [
    "collection_name",
    "open_chroma_client",
    "local_directory",
    "segment_folders",
    "scrub",
    "zero_index_slack",
]

# hnswlib's saved header starts: format version, level-0 offset, capacity, count, element size
_HNSW_HEADER = struct.Struct("<IQQQQ")


def collection_name(client_id: str, namespace: str = "tl") -> str:
    """Return the Chroma collection name that holds ``client_id``'s memories.

    A readable, sanitised prefix of the id plus 16 hex digits of its SHA-256: unique per id, valid
    under Chroma's naming rules (3-512 of ``[A-Za-z0-9._-]``, alphanumeric at both ends), and
    safe as a file name.

    Example:
        >>> collection_name("client-7")
        'tl_client-7_d2a753150e076f9b'
    """
    v.check_client_id(client_id)
    digest = hashlib.sha256(client_id.encode("utf-8")).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", client_id)[:40]
    return f"{namespace}_{readable}_{digest}"


def open_chroma_client(path: Path | str | None = None, url: str | None = None) -> ClientAPI:
    """Open Chroma with telemetry off: a server (``url``), files (``path``) or memory (neither).

    Args:
        path: Folder of an embedded ``PersistentClient`` (one process at a time).
        url: ``http://host:port`` of a ``chroma run`` server (any number of processes).

    Raises:
        InvalidInputError: both were given, or the URL is not ``http(s)://host[:port]``.
        StoreError: the server does not answer.

    Example:
        >>> client = open_chroma_client()  # in-memory, for tests and notebooks
    """
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if path is not None and url is not None:
        raise InvalidInputError(
            f"pass either path={str(path)!r} or url={url!r}, not both: a path opens embedded "
            "files, a url a Chroma server"
        )
    if url is not None:
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidInputError(f"url must look like 'http://127.0.0.1:8000', got {url!r}")
        ssl = parsed.scheme == "https"
        port = parsed.port or (443 if ssl else 8000)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname, port=port, ssl=ssl, settings=settings
            )
            client.heartbeat()
        except Exception as exc:  # connection errors come in many types; report them as one
            raise StoreError(
                f"no Chroma server answers at {url!r} ({exc}); start one with "
                f"`chroma run --path DIR --host {parsed.hostname} --port {port}`"
            ) from exc
        return client
    try:
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=settings)
        return chromadb.EphemeralClient(settings=settings)
    except ValueError as exc:
        # Chroma shares one embedded system per path (and one in-memory system) per process and
        # refuses a second handle with other settings. Join the existing one with Chroma's
        # defaults, which is what code that opened it without settings used.
        if "different settings" not in str(exc):
            raise
        if path is not None:
            return chromadb.PersistentClient(path=str(path))
        return chromadb.EphemeralClient()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def local_directory(client: ClientAPI) -> Path | None:
    """Return the folder of an embedded ``PersistentClient`` (``None`` for memory or a server)."""
    try:
        settings = client.get_settings()
    except Exception:
        return None
    if not settings.is_persistent or "fastapi" in str(settings.chroma_api_impl).lower():
        return None
    root = Path(str(settings.persist_directory))
    return root if (root / "chroma.sqlite3").is_file() else None


def segment_folders(root: Path, name: str) -> list[Path]:
    """Return the on-disk index folders of collection ``name`` in an embedded database.

    Reads Chroma's own catalogue (``segments`` joined to ``collections``) read-only; an
    unexpected layout yields ``[]``, never an error.
    """
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{root / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=10)
        ) as con:
            rows = con.execute(
                "SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
                "WHERE c.name = ?",
                (name,),
            ).fetchall()
    except sqlite3.Error:
        return []
    return [root / r[0] for r in rows if isinstance(r[0], str) and _UUID.fullmatch(r[0])]


def scrub(root: Path, folders: list[Path]) -> tuple[int, bool, list[Path]]:
    """Remove a deleted collection's index folders, VACUUM the catalogue, zero index slack.

    Chroma drops a deleted collection's rows but leaves its HNSW folder (the vectors) on disk,
    and SQLite keeps deleted rows (the texts) in free pages until a VACUUM. Both are removed
    here, and the other collections' uncleared index capacity is zeroed (see
    :func:`zero_index_slack`), so an erased client leaves no bytes behind in an embedded database.

    Returns:
        (folders removed, whether the VACUUM ran, index files whose slack was zeroed).
    """
    removed = 0
    for folder in folders:
        if folder.is_dir() and folder.parent == root:
            shutil.rmtree(folder, ignore_errors=True)
            removed += not folder.exists()
    zeroed = zero_index_slack(root)
    try:
        with contextlib.closing(sqlite3.connect(root / "chroma.sqlite3", timeout=30)) as con:
            con.execute("VACUUM")
        return removed, True, zeroed
    except sqlite3.Error:
        return removed, False, zeroed


def zero_index_slack(root: Path) -> list[Path]:
    """Zero the reserved, never-written part of every HNSW index file under ``root``.

    hnswlib reserves room for more vectors than an index holds, allocates it without clearing
    it, and saves all of it (``data_level0.bin``, and ``length.bin`` with four bytes per slot):
    the unused part holds whatever the process's heap held before, which can be another client's
    words. Only slots past the stored count are touched; a layout this does not recognise is
    left alone.

    Returns:
        The files that held non-zero slack and were rewritten.
    """
    zeroed = []
    for header in sorted(root.glob("*/header.bin")):
        try:
            version, _, capacity, count, size = _HNSW_HEADER.unpack_from(header.read_bytes())
        except (OSError, struct.error):
            continue
        if version != 1 or count >= capacity:
            continue
        for name, slot in (("data_level0.bin", size), ("length.bin", 4)):
            path = header.with_name(name)
            if _zero_tail(path, used=count * slot, total=capacity * slot):
                zeroed.append(path)
    return zeroed


def _zero_tail(path: Path, *, used: int, total: int) -> bool:
    try:
        if path.stat().st_size != total:
            return False
        with path.open("r+b") as fh:
            fh.seek(used)
            if not fh.read(total - used).strip(b"\0"):
                return False
            fh.seek(used)
            fh.write(bytes(total - used))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        return False
    return True
