"""Errors of the model layer.

Each one derives from :class:`theraloop.memory.errors.TheraloopError` and, where the mistake is the
caller's, from the matching builtin too, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from theraloop.memory.errors import TheraloopError

__all__ = [
    "ModelSpecError",
    "ModelConfigError",
    "BackendUnavailableError",
    "WeightsError",
    "MissingWeightsError",
    "CorruptWeightsError",
    "ModelTimeoutError",
    "ContextOverflowError",
]


class ModelSpecError(TheraloopError, ValueError):
    """A model spec string is not one of the accepted forms (the message lists them)."""


class ModelConfigError(TheraloopError, ValueError):
    """A model was configured with values it cannot run with (no chat template, bad path, ...)."""


class BackendUnavailableError(TheraloopError, ImportError):
    """The optional package a model spec needs is not installed; the message names the extra."""


class WeightsError(TheraloopError, RuntimeError):
    """The embedded model's weights could not be assembled; see the subclasses."""


class MissingWeightsError(WeightsError, FileNotFoundError):
    """A weights part package is not installed, or is installed at another version."""


class CorruptWeightsError(WeightsError):
    """A weights part, or the assembled file, does not have the pinned size and sha256."""


class ModelTimeoutError(TheraloopError, TimeoutError):
    """A model call ran past its timeout: stopped (llama.cpp decoding) or abandoned."""


class ContextOverflowError(TheraloopError, ValueError):
    """A prompt does not fit the model's context window (``n_ctx``)."""
