"""Errors shared by every theraloop package.

They live at the bottom layer so ``agent`` and ``simulations`` can derive from or re-export them
without importing upward. A usage mistake subclasses both :class:`TheraloopError` and a builtin,
so callers may catch either.
"""

from __future__ import annotations

__all__ = [
    "TheraloopError",
    "InvalidInputError",
    "UnknownClientError",
    "NotFoundError",
    "EmbedderMismatchError",
    "StoreError",
    "EmbedderUnavailableError",
]


class TheraloopError(Exception):
    """Base class of every error theraloop raises on purpose."""


class InvalidInputError(TheraloopError, ValueError):
    """A caller passed a value theraloop refuses (empty text, naive datetime, NaN, ...)."""


class UnknownClientError(TheraloopError, KeyError):
    """An operation named a client the store or agent has never seen."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else "unknown client"


class NotFoundError(TheraloopError, KeyError):
    """An item, session or plan that was asked for does not exist for this client."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class EmbedderMismatchError(TheraloopError, ValueError):
    """A collection was written with another embedder than the one now configured."""


class StoreError(TheraloopError, RuntimeError):
    """The backing store failed; the operation was rolled back or never applied."""


class EmbedderUnavailableError(TheraloopError, RuntimeError):
    """The embedding model could not be loaded (weights or library missing); nothing was written."""
