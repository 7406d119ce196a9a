"""Validation at the agent's public edge: what a client may send, and how client ids look."""

from __future__ import annotations

import unicodedata

from memory._validation import check_client_id
from memory.errors import InvalidInputError

__all__ = ["MAX_MESSAGE_CHARS", "clean_message", "check_client_id"]

MAX_MESSAGE_CHARS = 8_000
"""Longest client message accepted in one turn (about 2,000 tokens; far beyond a spoken turn)."""


def clean_message(text: object) -> str:
    """Return a client message normalized (NFC, no control characters), or raise.

    Tabs and newlines are kept; other control characters are removed. Lone surrogates (invalid
    UTF-8 smuggled through Python strings) are refused rather than silently dropped.

    Raises:
        InvalidInputError: not a string, empty after cleaning, too long, or not valid Unicode.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"a message must be a str, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"message contains invalid Unicode (lone surrogate at {exc.start}); send valid UTF-8"
        ) from None
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInputError(
            f"message has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}: "
            "send it in parts"
        )
    cleaned = "".join(
        ch
        for ch in unicodedata.normalize("NFC", text)
        if ch in "\t\n" or unicodedata.category(ch) != "Cc"
    ).strip()
    if not cleaned:
        raise InvalidInputError("message is empty (or only whitespace/control characters)")
    return cleaned
