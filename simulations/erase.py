"""Erase one simulated client from a run directory (``theraloop erase --run DIR --client ID``).

A run keeps a client in several places::

    OUT/traces/<id>.jsonl        the JSONL trace                -> deleted
    OUT/clients/<id>/            the agent's data dir: Chroma,   -> deleted
                                 checkpoints, records, memory trace
    OUT/progress/<id>/           session markers                -> deleted
    OUT/profiles/<id>.json       the profile copy               -> deleted
    OUT/manifest.json            client entry, errors, --profiles spec -> rewritten without it
    OUT/judge/*.json             cached judge scores            -> rewritten without its scores
    OUT/report.md, OUT/plots/    derived from every client      -> deleted; re-run evaluate
    OUT/clients/<other>/chroma/  unused index capacity           -> zeroed (see below)

Chroma's vector index (hnswlib) reserves room for more vectors than it holds, allocates it
without clearing it, and saves all of it: the unused part holds whatever the process's memory
held before, and in a run (one process, many clients) that can be this client's words inside
another client's index file. Those unused bytes are zeroed; the stored vectors are untouched.

An ``--ablation all`` folder holds one run per variant: each is erased, and the comparison report
at its root is deleted too. Deleted files are unlinked, not overwritten: keep run directories on
an encrypted volume if the disk itself must not keep old blocks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pydantic import BaseModel, Field

from theraloop.memory._chroma import zero_index_slack
from theraloop.memory._validation import check_client_id
from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.runner import load_manifest, write_manifest

__all__ = ["RunErasureReport", "erase_client_from_run"]

_MANIFEST = "manifest.json"
_DERIVED = ("report.md", "plots")


class RunErasureReport(BaseModel):
    """What :func:`erase_client_from_run` removed."""

    client_id: str
    """The erased client."""
    runs: list[Path] = Field(default_factory=list)
    """Every run directory searched (one, or each variant of an ablation folder)."""
    deleted: list[Path] = Field(default_factory=list)
    """Files and folders removed: trace, data dir, markers, profile, derived reports."""
    rewritten: list[Path] = Field(default_factory=list)
    """Files kept for the other clients, rewritten without this one (manifest, judge scores)."""
    scrubbed: list[Path] = Field(default_factory=list)
    """Other clients' vector-index files whose unused (uncleared) capacity was zeroed."""

    @property
    def found(self) -> bool:
        """Return whether the client was in the run at all."""
        return bool(self.deleted or self.rewritten)


def _runs(root: Path) -> list[Path]:
    if (root / _MANIFEST).is_file():
        return [root]
    runs = sorted(p for p in root.iterdir() if (p / _MANIFEST).is_file()) if root.is_dir() else []
    if not runs:
        raise InvalidInputError(
            f"{str(root)!r} is not a simulation run directory (no {_MANIFEST} in it or its "
            "subfolders); pass the --out folder of `theraloop simulate`"
        )
    return runs


def _remove(path: Path, report: RunErasureReport) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    else:
        return
    report.deleted.append(path)


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def _erase_from_manifest(run: Path, client_id: str, report: RunErasureReport) -> bool:
    manifest = load_manifest(run)
    config = manifest.config.model_copy(
        update={"profiles": tuple(p for p in manifest.config.profiles if client_id not in p)}
    )
    invocations = [
        i.model_copy(update={"errors": {k: v for k, v in i.errors.items() if k != client_id}})
        for i in manifest.invocations
    ]
    clients = [c for c in manifest.clients if c.id != client_id]
    erased = manifest.model_copy(
        update={"clients": clients, "config": config, "invocations": invocations}
    )
    if erased == manifest:
        return False
    write_manifest(run, erased)
    report.rewritten.append(run / _MANIFEST)
    return True


def _erase_from_judgements(run: Path, client_id: str, report: RunErasureReport) -> None:
    folder = run / "judge"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        if client_id not in text:
            continue
        try:
            data = json.loads(text)
            for key in ("sessions", "clients"):
                data[key] = [s for s in data[key] if s.get("client_id") != client_id]
        except (ValueError, KeyError, TypeError, AttributeError):
            _remove(path, report)  # not a judge report we can edit: drop the cache
            continue
        _write_json(path, data)
        report.rewritten.append(path)


def _scrub_index_slack(run: Path, report: RunErasureReport) -> None:
    for root in sorted((run / "clients").glob("*/chroma")):
        report.scrubbed.extend(zero_index_slack(root))


def erase_client_from_run(run_dir: str | Path, client_id: str) -> RunErasureReport:
    """Remove every trace of one client from a simulation run directory.

    The other clients stay as they were, and the run can still be evaluated (reports are
    rebuilt by ``theraloop evaluate``) and resumed; resuming with the client's profile again
    simulates that client afresh. Erasing a client the run never had is a no-op. Do not erase
    while ``theraloop simulate`` is writing to the same directory.

    Args:
        run_dir: a run directory, or an ``--ablation all`` folder of runs.
        client_id: the client (profile) id.

    Raises:
        InvalidInputError: ``client_id`` is not a valid id, or ``run_dir`` holds no run.

    Example:
        >>> erase_client_from_run("runs/demo", "depression-maya").deleted  # doctest: +SKIP
        [PosixPath('runs/demo/traces/depression-maya.jsonl'), ...]
    """
    client_id = check_client_id(client_id)
    root = Path(run_dir)
    report = RunErasureReport(client_id=client_id, runs=_runs(root))
    for run in report.runs:
        before = len(report.deleted)
        for path in (
            run / "traces" / f"{client_id}.jsonl",
            run / "clients" / client_id,
            run / "progress" / client_id,
            run / "profiles" / f"{client_id}.json",
        ):
            _remove(path, report)
        listed = _erase_from_manifest(run, client_id, report)
        _erase_from_judgements(run, client_id, report)
        if listed or len(report.deleted) > before:
            for name in _DERIVED:
                _remove(run / name, report)
            _scrub_index_slack(run, report)
    if root not in report.runs and report.found:  # an ablation folder's comparison report
        for name in _DERIVED:
            _remove(root / name, report)
    return report
