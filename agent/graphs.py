"""The compiled graphs, for apps that embed the therapist as a subgraph of their own.

Get ready contexts from :meth:`theraloop.agent.TherapistAgent.session_context` and
:meth:`~theraloop.agent.TherapistAgent.supervisor_context`, compile the graphs with
``checkpointer=True`` as subgraphs, and give the parent's checkpointer
``serde=checkpoint_serde()`` so it may read theraloop's state types back.
"""

from theraloop.agent.session_graph import build_intra_session
from theraloop.agent.state import checkpoint_serde
from theraloop.agent.supervisor_graph import build_cross_session

__all__ = ["build_intra_session", "build_cross_session", "checkpoint_serde"]
