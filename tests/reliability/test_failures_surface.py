"""Every failed model call reaches the app: in ``SessionInfo``, ``Reply``, ``SessionReview`` and
the trace, redacted; the session-end summary is bounded by one deadline, not retries x timeout.
"""

from __future__ import annotations

import time

from tests.reliability import _support as s
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel

SECRET = "sk-abcdefghijklmnopqrstuvwxyz0123"
TIMEOUT = TimeoutError("model call timed out")


def _failing(inner_reply, error: BaseException, failures: int = -1) -> FailingChatModel:
    return FailingChatModel(
        inner=ScriptedChatModel(responses=inner_reply), error=error, failures=failures
    )


def test_a_failed_opening_says_so_in_the_session_info(make_agent):
    agent = make_agent(therapist=_failing(s.therapist_reply, RuntimeError("502"), failures=3))
    info = agent.start_session(s.CLIENT)
    assert info.model_errors[-1] == "therapist: the opening is the fixed fallback"
    assert sum("RuntimeError: 502" in e for e in info.model_errors) == 3


def test_a_turn_with_failed_drafts_lists_them_in_the_reply_and_the_trace(make_agent):
    model = _failing(s.therapist_reply, RuntimeError(f"401 bad key {SECRET}"), failures=3 + 2)
    agent = make_agent(therapist=model)
    agent.start_session(s.CLIENT)
    reply = agent.respond(s.CLIENT, s.TURNS[0])
    assert reply.reply_source == "model"  # the third attempt answered
    assert reply.model_errors == (
        "therapist: attempt 1: RuntimeError: 401 bad key [REDACTED]",
        "therapist: attempt 2: RuntimeError: 401 bad key [REDACTED]",
    )
    assert agent.traces(s.CLIENT)[-1]["model_errors"] == list(reply.model_errors)


def test_a_turn_without_failures_has_no_model_errors(make_agent):
    agent = make_agent()
    agent.start_session(s.CLIENT)
    assert agent.respond(s.CLIENT, s.TURNS[0]).model_errors == ()


def test_a_failed_summary_is_reported_in_the_review_not_only_replaced(make_agent):
    supervisor = _failing(s.supervisor_reply, ConnectionError(f"POST failed, key={SECRET}"))
    agent = make_agent(supervisor=supervisor)
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    review = agent.end_session(s.CLIENT)
    assert review.summary_source == "extractive"
    assert review.model_errors == (
        "attempt 1: ConnectionError: POST failed, key=[REDACTED]",
        "attempt 2: ConnectionError: POST failed, key=[REDACTED]",
        "attempt 3: ConnectionError: POST failed, key=[REDACTED]",
        "the summary is extractive: no model attempt gave a usable one",
    )
    assert agent.history(s.CLIENT).reviews[-1].model_errors == review.model_errors


def test_a_model_summary_is_marked_as_such(make_agent):
    agent = make_agent()
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    review = agent.end_session(s.CLIENT)
    assert (review.summary_source, review.model_errors) == ("model", ())


def test_the_summary_attempts_share_one_deadline(make_agent):
    def stalls(messages, schema=None):  # noqa: ANN001, ANN202
        time.sleep(5.0)
        return s.supervisor_reply(messages, schema)

    agent = make_agent(
        supervisor=ScriptedChatModel(responses=stalls),
        model_timeout_s=0.4,
        review_timeout_s=1.0,
        model_retries=6,
    )
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    start = time.monotonic()
    review = agent.end_session(s.CLIENT)
    assert time.monotonic() - start < 2.0  # 7 attempts x 0.4 s would be 2.8 s
    assert review.summary_source == "extractive"
    assert 2 <= sum("ModelTimeoutError" in e for e in review.model_errors) <= 3
    assert any(
        "review deadline of 1 s (review_timeout_s) reached" in e for e in review.model_errors
    )


def test_a_streamed_turn_records_its_failed_drafts_in_the_trace(make_agent):
    model = _failing(s.therapist_reply, RuntimeError("503 overloaded"), failures=3 + 1)
    agent = make_agent(therapist=model)
    agent.start_session(s.CLIENT)
    assert "".join(agent.stream(s.CLIENT, s.TURNS[0])).strip()
    trace = agent.traces(s.CLIENT)[-1]
    assert trace["model_errors"] == ["therapist: attempt 1: RuntimeError: 503 overloaded"]
    assert "respond" in trace["latency_ms"]


def test_a_failed_llm_perceiver_is_named_in_the_reply(tmp_path, hashing, clock):
    from theraloop.agent import Settings, TherapistAgent

    perception = _failing(lambda m, schema=None: {"label": "sadness", "intensity": 3}, TIMEOUT)
    agent = TherapistAgent.from_settings(
        Settings(data_dir=tmp_path / "data", therapist_model="fake", perception_model="fake"),
        clock=clock,
        models={
            "therapist": ScriptedChatModel(responses=s.therapist_reply),
            "perception": perception,
        },
        embedder=hashing,
    )
    with agent:
        agent.start_session(s.CLIENT)
        reply = agent.respond(s.CLIENT, s.TURNS[0])
    assert reply.model_errors == (
        "perception: the LLM perceiver failed; the embedding classifier read the message",
    )
