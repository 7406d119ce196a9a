"""Validation at the agent's public edge: what a client may send, and how client ids look.

A client message is kept verbatim (NFC-normalized) except for invisible format characters
(Unicode category ``Cf``), which are removed because they change how text displays or is matched
without changing what a reader sees:

* bidirectional embeddings, overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E,
  U+200F, U+061C) can make a stored record or a prompt read differently from what was typed
  ("Trojan Source");
* Unicode tag characters (U+E0000-E007F) can carry a whole hidden ASCII text that a model reads
  but a person does not (the subdivision flags that use them show as a plain black flag);
* zero-width spaces, word joiners, soft hyphens and byte-order marks split a word so that no
  safety pattern matches it.

The zero-width joiner and non-joiner (U+200D, U+200C) are kept between two non-ASCII characters,
where emoji sequences and Persian and Indic scripts need them, and removed next to ASCII, where
they only hide words. Control characters other than tab, newline and carriage return (NUL, ESC,
C1) are refused, not removed: they mean the app sent bytes of something else, and dropping them
silently can glue words together and change what the message says.
"""

from __future__ import annotations

import re
import unicodedata

from theraloop.memory._validation import CLIENT_ID_PATTERN, check_client_id
from theraloop.memory.errors import InvalidInputError

__all__ = ["MAX_MESSAGE_CHARS", "CLIENT_ID_PATTERN", "clean_message", "check_client_id"]

MAX_MESSAGE_CHARS = 8_000
"""Longest client message accepted in one turn (about 2,000 tokens; far beyond a spoken turn)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JOINERS = frozenset("\u200c\u200d")


def clean_message(text: object) -> str:
    r"""Return a client message NFC-normalized, without invisible format characters, or raise.

    Raises:
        InvalidInputError: not a string, a control character other than tab/newline/CR (NUL
            included), empty after cleaning, too long, or not valid Unicode.

    Example:
        >>> clean_message("I feel \u202efine\u202c today")
        'I feel fine today'
        >>> clean_message("family \U0001F468\u200d\U0001F469\u200d\U0001F467")
        'family 👨\u200d👩\u200d👧'
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
    if match := _CONTROL.search(text):
        name = "NUL" if match.group() == "\x00" else f"control character {match.group()!r}"
        raise InvalidInputError(
            f"message holds {name} at index {match.start()}; decode the client's input as text "
            "(tab, newline and carriage return are allowed)"
        )
    cleaned = unicodedata.normalize("NFC", strip_format_characters(text)).strip()
    if not cleaned:
        raise InvalidInputError("message is empty (or only whitespace/format characters)")
    return cleaned


def strip_format_characters(text: str) -> str:
    r"""Remove invisible format characters (category ``Cf``), keeping joiners inside non-ASCII.

    Example:
        >>> strip_format_characters("k\u200dill \u200bmyself")
        'kill myself'
    """
    kept: list[str] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) != "Cf":
            kept.append(ch)
        elif ch in _JOINERS and 0 < i < len(text) - 1:
            before, after = text[i - 1], text[i + 1]
            if not before.isascii() and not after.isascii():
                kept.append(ch)
    return "".join(kept)
