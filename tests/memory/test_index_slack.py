"""Uncleared HNSW capacity is zeroed on erasure; vectors and unknown layouts stay untouched."""

from __future__ import annotations

import struct
from pathlib import Path

from theraloop.memory._chroma import zero_index_slack

HEADER = struct.Struct("<IQQQQ")  # version, level-0 offset, capacity, count, element size


def _index(
    root: Path,
    name: str,
    *,
    version: int = 1,
    capacity: int = 4,
    count: int = 2,
    size: int = 8,
    slack: bytes = b"QQSECRETQQ",
) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "header.bin").write_bytes(HEADER.pack(version, 0, capacity, count, size))
    used = b"V" * (count * size)
    rest = (slack * capacity * size)[: (capacity - count) * size]
    (folder / "data_level0.bin").write_bytes(used + rest)
    (folder / "length.bin").write_bytes(
        b"L" * (count * 4) + (slack * capacity * 4)[: (capacity - count) * 4]
    )
    return folder / "data_level0.bin"


def test_slack_past_the_stored_vectors_is_zeroed_and_the_vectors_kept(tmp_path):
    data = _index(tmp_path, "a")
    lengths = data.with_name("length.bin")
    assert zero_index_slack(tmp_path) == [data, lengths]
    assert data.read_bytes() == b"V" * 16 + bytes(16)
    assert lengths.read_bytes() == b"L" * 8 + bytes(8)


def test_an_index_whose_slack_is_already_clean_is_not_rewritten(tmp_path):
    _index(tmp_path, "a", slack=b"\0")
    assert zero_index_slack(tmp_path) == []


def test_a_full_index_has_no_slack_to_zero(tmp_path):
    data = _index(tmp_path, "a", count=4)
    assert zero_index_slack(tmp_path) == [] and data.read_bytes() == b"V" * 32


def test_an_unknown_layout_is_left_alone(tmp_path):
    data = _index(tmp_path, "a", version=2)
    before = data.read_bytes()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "data_level0.bin").write_bytes(b"QQSECRETQQ")  # no header at all
    assert zero_index_slack(tmp_path) == []
    assert data.read_bytes() == before
