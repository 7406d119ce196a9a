"""The therapist: intra-session and cross-session graphs, safety, perception, model factory.

``import agent`` stays light: chromadb, torch, sentence-transformers and llama.cpp load only when
a backend is built (``TherapistAgent.from_settings`` or ``make_chat_model``).
"""

from theraloop.agent.components import Components
from theraloop.agent.context import SessionContext, SupervisorContext
from theraloop.agent.errors import (
    ConfigError,
    ContextError,
    DataDirInUseError,
    InvalidInputError,
    SessionNotStartedError,
    SessionStateError,
    TheraloopError,
    UnknownClientError,
)
from theraloop.agent.graphs import build_cross_session, build_intra_session
from theraloop.agent.llm import make_chat_model
from theraloop.agent.records import (
    ClientHistory,
    ClientPortrait,
    CrisisRecord,
    SessionReview,
    SessionSignals,
    SessionSummary,
    TreatmentPlan,
)
from theraloop.agent.settings import Settings
from theraloop.agent.therapist import Reply, SessionInfo, TherapistAgent

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
