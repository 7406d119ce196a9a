"""Turn ``--profiles`` arguments into client profiles: ids, globs, files, folders and Cactus forms.

Kept apart from :mod:`theraloop.simulations.profiles` because it reaches both the shipped library
and :mod:`theraloop.simulations.cactus`, which itself builds on the profile model.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.cactus import load_cactus, parse_cactus_spec
from theraloop.simulations.profiles import (
    PROFILE_DIR,
    PROFILE_SUFFIXES,
    ClientProfile,
    builtin_profile_ids,
    builtin_profiles,
    load_profile,
    profile_files,
)

__all__ = ["resolve_profiles"]


def resolve_profiles(
    specs: Iterable[str] | None, *, repo_root: Path | None = None
) -> list[ClientProfile]:
    """Turn ``--profiles`` arguments into profiles, in the order given, without duplicates.

    Each spec is one of: a shipped profile id (``depression-maya``); a glob over shipped ids
    (``anx*``); a path to a profile file or a folder of them; a glob over paths; or
    ``cactus:PATH[:N]`` for the first ``N`` Cactus intake forms in ``PATH`` (``cactus`` or
    ``cactus::N`` uses ``<repo>/../shared/data/cactus/cactus_dev.json``). ``None`` or an empty
    list means the whole shipped library.

    Raises:
        InvalidInputError: a spec matches nothing, or two profiles share an id.
    """
    specs = list(specs or [])
    if not specs:
        return builtin_profiles()
    out: list[ClientProfile] = []
    seen: dict[str, str] = {}
    for spec in specs:
        for profile in _resolve_one(spec, repo_root=repo_root):
            if profile.id in seen:
                if seen[profile.id] == spec:
                    continue
                raise InvalidInputError(
                    f"profile id {profile.id!r} comes from both {seen[profile.id]!r} and "
                    f"{spec!r}; give each client a unique id"
                )
            seen[profile.id] = spec
            out.append(profile)
    return out


def _resolve_one(spec: str, *, repo_root: Path | None) -> list[ClientProfile]:
    spec = spec.strip()
    if not spec:
        raise InvalidInputError("empty --profiles entry; give a profile id, glob or path")
    if spec == "cactus" or spec.startswith("cactus:"):
        path, limit = parse_cactus_spec(spec, repo_root=repo_root)
        return load_cactus(path, limit=limit)
    path = Path(spec).expanduser()
    if path.is_dir():
        return [load_profile(p) for p in profile_files(path)]
    if path.is_file():
        return [load_profile(path)]
    ids = builtin_profile_ids()
    if spec in ids:
        return [load_profile(PROFILE_DIR / f"{spec}.yaml")]
    if any(ch in spec for ch in "*?["):
        matched = [i for i in ids if fnmatch.fnmatchcase(i, spec)]
        if matched:
            return [load_profile(PROFILE_DIR / f"{i}.yaml") for i in matched]
        files = sorted(p for p in Path().glob(spec) if p.suffix in PROFILE_SUFFIXES)
        if files:
            return [load_profile(p) for p in files]
    raise InvalidInputError(
        f"--profiles entry {spec!r} matches no shipped profile, file or folder; shipped ids: "
        f"{', '.join(ids)}; or use a path, a glob, or 'cactus:PATH[:N]'"
    )
