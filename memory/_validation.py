"""Checks run at the store's edge, before anything is embedded or written."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import get_args

from theraloop.memory.clock import require_aware
from theraloop.memory.errors import InvalidInputError
from theraloop.memory.models import MAX_TEXT_CHARS, MemoryKind

CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A client id: 1-64 characters of ``A-Z a-z 0-9 _ . -``, starting with a letter or digit."""

MAX_ID_CHARS = 200
MAX_TAGS = 64
MAX_K = 1000
KINDS: frozenset[str] = frozenset(get_args(MemoryKind))

# C0 controls except tab/newline/carriage return, DEL, and C1 controls: invisible, and a common
# sign of binary garbage or terminal-escape injection.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def preview(value: object, limit: int = 60) -> str:
    """Return a short ``repr`` of ``value`` for an error message (never a whole 1 MB text)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} chars)"
    text = repr(value)
    return text if len(text) <= limit + 20 else f"{text[: limit + 20]}..."


def check_client_id(client_id: object) -> str:
    """Return ``client_id`` if it follows :data:`CLIENT_ID_PATTERN`."""
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.fullmatch(client_id):
        raise InvalidInputError(
            f"client_id must be 1-64 characters of letters, digits, '_', '.' or '-', starting "
            f"with a letter or digit; got {preview(client_id)}"
        )
    return client_id


def check_text(value: object, name: str = "text", *, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``value`` if it is a non-blank str of at most ``limit`` clean characters."""
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{name} must be a str, got {type(value).__name__} {preview(value)}; "
            "decode bytes first (UTF-8)"
        )
    if not value.strip():
        raise InvalidInputError(f"{name} must contain non-whitespace text, got {preview(value)}")
    if len(value) > limit:
        raise InvalidInputError(
            f"{name} is {len(value)} characters, over the limit of {limit}; "
            "split it or summarise it first"
        )
    if match := _SURROGATE.search(value):
        raise InvalidInputError(
            f"{name} holds a lone UTF-16 surrogate {match.group()!r} at index {match.start()}; "
            "decode the source with errors='replace' or fix its encoding"
        )
    if match := _CONTROL.search(value):
        raise InvalidInputError(
            f"{name} holds control character {match.group()!r} at index {match.start()}; "
            "strip control characters (tab and newline are allowed)"
        )
    return value


def check_optional_text(value: object, name: str) -> str | None:
    """Return ``value`` if ``None`` or valid text."""
    return None if value is None else check_text(value, name)


def check_label(value: object, name: str) -> str:
    """Return a short single-line label (ids, speakers, tags)."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a str, got {preview(value)}")
    text = check_text(value, name, limit=MAX_ID_CHARS)
    if text != text.strip() or "\n" in text or "\r" in text or "\t" in text:
        raise InvalidInputError(
            f"{name} must be one line without surrounding whitespace, got {preview(value)}"
        )
    return text


def check_optional_label(value: object, name: str) -> str | None:
    """Return ``value`` if ``None`` or a valid label."""
    return None if value is None else check_label(value, name)


def check_labels(values: object, name: str) -> tuple[str, ...]:
    """Return a tuple of labels (at most :data:`MAX_TAGS`), refusing a bare string."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{name} must be a list or tuple of strings, got {preview(values)}")
    items = tuple(values)
    if len(items) > MAX_TAGS:
        raise InvalidInputError(f"{name} has {len(items)} entries, over the limit of {MAX_TAGS}")
    return tuple(check_label(v, f"{name}[{i}]") for i, v in enumerate(items))


def check_fraction(value: object, name: str) -> float:
    """Return a finite float in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number in [0, 1], got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"{name} must be in [0, 1], got {value!r}")
    return float(value)


def check_strength(value: object, name: str = "strength", *, maximum: float) -> float:
    """Return a finite strength in (0, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number > 0, got {value!r}")
    if not 0.0 < value <= maximum:
        raise InvalidInputError(
            f"{name} must be > 0 and <= {maximum!r} (the policy's max_strength), got {value!r}"
        )
    return float(value)


def check_time(value: object, name: str) -> datetime:
    """Return an aware datetime converted to UTC."""
    return require_aware(value, name).astimezone(UTC)  # type: ignore[arg-type]


def check_optional_time(value: object, name: str) -> datetime | None:
    """Return ``None`` or an aware datetime in UTC."""
    return None if value is None else check_time(value, name)


def check_kind(value: object, name: str = "kind") -> str:
    """Return ``value`` if it is a known memory kind."""
    if not isinstance(value, str) or value not in KINDS:
        raise InvalidInputError(f"{name} must be one of {sorted(KINDS)}, got {preview(value)}")
    return value


def check_kinds(values: object) -> frozenset[str] | None:
    """Return the kinds filter as a set (``None`` = every kind); a single kind string is allowed."""
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset({check_kind(values, "kinds")})
    if not isinstance(values, Iterable):
        raise InvalidInputError(f"kinds must be a kind or a collection of kinds, got {values!r}")
    kinds = frozenset(check_kind(v, "kinds") for v in values)
    if not kinds:
        raise InvalidInputError("kinds must not be empty; pass None for every kind")
    return kinds


def check_k(value: object) -> int:
    """Return a result count in [1, :data:`MAX_K`]."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise InvalidInputError(f"k must be an int in [1, {MAX_K}], got {value!r}")
    return value


def check_item_ids(values: object) -> list[str]:
    """Return item ids without duplicates, in order; a bare string is refused."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"item_ids must be a list of ids, got {preview(values)}; wrap a single id in a list"
        )
    seen: dict[str, None] = {}
    for i, v in enumerate(values):
        seen[check_label(v, f"item_ids[{i}]")] = None
    return list(seen)
