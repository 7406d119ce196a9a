"""An app embeds both graphs in its own LangGraph graph (``examples/embed_graphs.py``).

The parent graph has its own checkpointer; the turn graph keeps its history across parent
invocations; the parent's saver reads theraloop's state types back without warnings; a wrong
context or a turn without its index is refused with an error saying what is needed.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from examples import embed_graphs as example
from theraloop.agent import ContextError, InvalidInputError, SessionNotStartedError
from theraloop.agent.graphs import build_cross_session, build_intra_session, checkpoint_serde


def numbered(messages) -> str:  # noqa: ANN001
    """A fake therapist whose replies differ per call, so repeat checks stay quiet."""
    numbered.calls = getattr(numbered, "calls", 0) + 1
    return f"Reply number {numbered.calls}: what stands out to you about that?"


@pytest.fixture
def app(tmp_path):  # noqa: ANN201
    conn = sqlite3.connect(tmp_path / "app.sqlite", check_same_thread=False)
    yield lambda: example.build_app(SqliteSaver(conn, serde=checkpoint_serde()))
    conn.close()


@pytest.fixture
def started(make_agent):  # noqa: ANN201
    agent = make_agent(therapist=numbered)
    info = agent.start_session("alice")
    context = example.AppContext(
        therapist=agent.session_context("alice"), supervisor=agent.supervisor_context("alice")
    )
    return agent, context, {"configurable": {"thread_id": info.session_id}}


def test_the_turn_graph_keeps_its_history_across_parent_invocations(started, app):
    agent, context, thread = started
    graph = app()
    graph.invoke({"client_text": "I lost my job in March."}, thread, context=context)
    out = graph.invoke({"client_text": "Since then I barely sleep."}, thread, context=context)
    assert [t.turn_index for t in out["turns"]] == [1, 2]
    second_prompt = agent.therapist_model.calls[-1].prompt
    assert "I lost my job in March." in second_prompt  # the first turn is in the history


def test_a_new_app_on_the_same_checkpointer_resumes_the_session(started, app):
    _, context, thread = started
    app().invoke({"client_text": "I lost my job in March."}, thread, context=context)
    out = app().invoke({"client_text": "Since then I barely sleep."}, thread, context=context)
    assert [t.turn_index for t in out["turns"]] == [1, 2]


def test_the_parent_checkpointer_reads_theraloop_state_without_warnings(started, app, caplog):
    _, context, thread = started
    with caplog.at_level(logging.WARNING):
        app().invoke({"client_text": "I lost my job in March."}, thread, context=context)
        app().get_state(thread, subgraphs=True)
    assert not [r for r in caplog.records if "unregistered type" in r.getMessage()]


def test_the_review_runs_in_the_app_graph_and_the_app_closes_the_session(started, app):
    agent, context, thread = started
    graph = app()
    graph.invoke({"client_text": "I lost my job in March."}, thread, context=context)
    out = graph.invoke({"end": True}, thread, context=context)
    assert out["review"].session_id == "alice-s001" and out["review"].plan_version == 2
    agent.close_session("alice")
    assert agent.history("alice").sessions[-1].status == "closed"
    with pytest.raises(SessionNotStartedError):
        agent.session_context("alice")


def test_the_example_runs_end_to_end(tmp_path):
    assert len(example.main(["--data-dir", str(tmp_path / "data")])) == 2


def test_a_wrong_context_names_the_one_the_turn_graph_needs(started):
    _, context, _ = started
    with pytest.raises(ContextError, match=r"context=SessionContext\(...\).*session_context"):
        build_intra_session().invoke(
            {"client_text": "hello", "turn_index": 1}, context=context.supervisor
        )


def test_a_wrong_context_names_the_one_the_supervisor_needs(started):
    _, context, _ = started
    with pytest.raises(ContextError, match=r"context=SupervisorContext\(...\).*AppContext"):
        build_cross_session().invoke({"turns": []}, context=context)


def test_a_turn_without_its_index_says_what_the_input_needs(started):
    _, context, _ = started
    with pytest.raises(InvalidInputError, match=r"turn_index \(an int: 1 for a session's first"):
        build_intra_session().invoke({"client_text": "hello"}, context=context.therapist)
