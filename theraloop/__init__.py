"""theraloop: a longitudinal therapist agent with long-term memory.

The front door for apps: ``from theraloop import TherapistAgent, Settings``. The layers live in
subpackages: ``theraloop.agent`` (both graphs, safety, perception, models), ``theraloop.memory``
(the Ebbinghaus store), ``theraloop.strategies`` (catalog and policy) and
``theraloop.simulations`` (simulated clients, runs, reports). Importing this package is light: its
names load from ``theraloop.agent`` on first use, so ``theraloop --help`` starts fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "TherapistAgent",
    "Settings",
    "Components",
    "SessionInfo",
    "Reply",
    "SessionReview",
    "SessionSummary",
    "SessionSignals",
    "TreatmentPlan",
    "ClientPortrait",
    "ClientHistory",
    "CrisisRecord",
    "SessionContext",
    "SupervisorContext",
    "build_intra_session",
    "build_cross_session",
    "make_chat_model",
    "TheraloopError",
    "ConfigError",
    "ContextError",
    "DataDirInUseError",
    "InvalidInputError",
    "UnknownClientError",
    "SessionStateError",
    "SessionNotStartedError",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("theraloop.agent"), name)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from theraloop.agent import (
        ClientHistory,
        ClientPortrait,
        Components,
        ConfigError,
        ContextError,
        CrisisRecord,
        DataDirInUseError,
        InvalidInputError,
        Reply,
        SessionContext,
        SessionInfo,
        SessionNotStartedError,
        SessionReview,
        SessionSignals,
        SessionStateError,
        SessionSummary,
        Settings,
        SupervisorContext,
        TheraloopError,
        TherapistAgent,
        TreatmentPlan,
        UnknownClientError,
        build_cross_session,
        build_intra_session,
        make_chat_model,
    )
