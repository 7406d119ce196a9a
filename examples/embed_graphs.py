"""Embed theraloop's turn graph and session-end review in your own LangGraph app.

The parent graph below has its own checkpointer (SQLite here, any saver works) and two nodes:
``therapist`` runs one turn through theraloop's intra-session graph, ``review`` runs the
supervisor at the end. Each subgraph is compiled with ``checkpointer=True`` so it keeps its state
in the parent's checkpointer, under the parent's thread (one thread per session): history, repeat
checks and strategy variety carry over from one parent invocation to the next. The parent's
saver gets ``serde=checkpoint_serde()`` so it may read theraloop's state types back.

Run it offline with the scripted model, or with the embedded one (``--model local``)::

    python examples/embed_graphs.py --data-dir /tmp/theraloop-embed
"""

from __future__ import annotations

import argparse
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from theraloop import SessionContext, Settings, SupervisorContext, TherapistAgent
from theraloop.agent.graphs import build_cross_session, build_intra_session, checkpoint_serde
from theraloop.agent.records import SessionReview
from theraloop.agent.state import TurnRecord


class AppState(TypedDict, total=False):
    """The app's own state; theraloop's keys are only what it hands in and reads out."""

    client_text: str
    """In: the client's message."""
    end: bool
    """In: ``True`` to review the session instead of answering."""
    reply: str
    """Out: the therapist's answer."""
    turns: list[TurnRecord]
    """Out: the session so far (the review reads it)."""
    review: SessionReview
    """Out: the session-end review."""


@dataclass(frozen=True, slots=True)
class AppContext:
    """The app's run context: one ready context per theraloop graph."""

    therapist: SessionContext
    supervisor: SupervisorContext


SESSION = build_intra_session(checkpointer=True)
SUPERVISOR = build_cross_session(checkpointer=True)


def therapist(state: AppState, runtime: Runtime[AppContext]) -> dict[str, Any]:
    """Answer one message; the turn number follows from the turns kept so far."""
    turn = {"client_text": state["client_text"], "turn_index": len(state.get("turns", [])) + 1}
    out = SESSION.invoke(turn, context=runtime.context.therapist)
    return {"reply": out["reply"], "turns": out["turns"]}


def review(state: AppState, runtime: Runtime[AppContext]) -> dict[str, Any]:
    """Summarize, measure and re-plan once the session is over."""
    out = SUPERVISOR.invoke({"turns": state.get("turns", [])}, context=runtime.context.supervisor)
    return {"review": out["review"]}


def route(state: AppState) -> str:
    """Review at the end, answer otherwise."""
    return "review" if state.get("end") else "therapist"


def build_app(checkpointer: Any) -> Any:
    """Compile the app's graph with its own checkpointer."""
    builder = StateGraph(AppState, context_schema=AppContext)
    builder.add_node("therapist", therapist)
    builder.add_node("review", review)
    builder.add_conditional_edges(START, route, ["therapist", "review"])
    builder.add_edge("therapist", END)
    builder.add_edge("review", END)
    return builder.compile(checkpointer=checkpointer)


def main(argv: list[str] | None = None) -> list[str]:
    """Run one short session through the app's graph; return the replies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default="fake", help="theraloop model spec (default: fake)")
    args = parser.parse_args(argv)
    settings = Settings(data_dir=args.data_dir, therapist_model=args.model)
    with TherapistAgent.from_settings(settings) as agent:  # models, memory, safety, records
        info = agent.start_session("alice")
        print(f"therapist: {info.opening}")
        context = AppContext(
            therapist=agent.session_context("alice"),
            supervisor=agent.supervisor_context("alice"),
        )
        conn = sqlite3.connect(args.data_dir / "app.sqlite", check_same_thread=False)
        app = build_app(SqliteSaver(conn, serde=checkpoint_serde()))
        thread = {"configurable": {"thread_id": info.session_id}}
        replies = []
        for text in (
            "I haven't been sleeping since I lost my job.",
            "Most nights I lie awake going over what I did wrong.",
        ):
            out = app.invoke({"client_text": text, "end": False}, thread, context=context)
            print(f"client: {text}\ntherapist: {out['reply']}")
            replies.append(out["reply"])
        out = app.invoke({"end": True}, thread, context=context)
        agent.close_session("alice")
        print(f"review: {out['review'].decision} ({out['review'].reason})")
        conn.close()
    return replies


if __name__ == "__main__":
    main()
