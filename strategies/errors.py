"""Errors raised by the strategies package.

``strategies`` sits at the bottom layer beside ``memory`` and imports nothing of theraloop, so it
keeps its own small hierarchy. Usage mistakes subclass :class:`ValueError` (and lookups also
:class:`KeyError`) so callers in ``agent`` can catch either the builtin or the specific class.
"""

from __future__ import annotations

__all__ = ["StrategiesError", "StrategyInputError", "UnknownStrategyError", "CatalogError"]


class StrategiesError(Exception):
    """Base class of every error the strategies package raises on purpose."""


class StrategyInputError(StrategiesError, ValueError):
    """A caller passed a value the strategies package refuses (bad instrument item, bad id, ...)."""


class UnknownStrategyError(StrategyInputError, KeyError):
    """A strategy id that is not in the catalog was asked for."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else "unknown strategy"


class CatalogError(StrategiesError, RuntimeError):
    """The catalog data shipped with the package is missing or fails validation."""
