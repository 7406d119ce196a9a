"""Errors of the agent package; usage mistakes also subclass a builtin so either can be caught."""

from __future__ import annotations

from theraloop.memory.errors import (
    InvalidInputError,
    NotFoundError,
    TheraloopError,
    UnknownClientError,
)

__all__ = [
    "TheraloopError",
    "InvalidInputError",
    "UnknownClientError",
    "NotFoundError",
    "ConfigError",
    "ContextError",
    "DataDirInUseError",
    "SessionStateError",
    "SessionNotStartedError",
    "SessionAlreadyOpenError",
]


class ConfigError(TheraloopError, ValueError):
    """A setting has a value theraloop cannot use; the message names the setting and its forms."""


class ContextError(TheraloopError, TypeError):
    """A graph ran with a context of the wrong type (or none); the message names the right one."""


class DataDirInUseError(TheraloopError, RuntimeError):
    """Another process holds the embedded data dir; the message names its pid and host."""


class SessionStateError(TheraloopError, RuntimeError):
    """A session call came in the wrong order (respond before start, end twice, ...)."""


class SessionNotStartedError(SessionStateError):
    """``respond`` or ``end_session`` was called with no open session for the client."""


class SessionAlreadyOpenError(SessionStateError):
    """Reserved: ``start_session`` resumes an open session instead of raising this."""
