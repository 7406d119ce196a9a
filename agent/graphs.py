"""The compiled graphs, for apps that embed the therapist as a subgraph of their own."""

from agent.session_graph import build_intra_session
from agent.supervisor_graph import build_cross_session

__all__ = ["build_intra_session", "build_cross_session"]
