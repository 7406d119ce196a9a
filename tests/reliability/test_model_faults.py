"""A model that times out, errors, answers empty or returns malformed structured output.

Each call is retried ``model_retries`` times, then a safe fallback takes over; the turn is still
recorded and the session goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.reliability import _support as s
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel

TIMEOUT = TimeoutError("model call timed out after 120 s")
HANG_S = 60.0  # how long a stalled fake model hangs; far beyond every model_timeout_s below


def _failing(failures: int, error: BaseException = TIMEOUT) -> FailingChatModel:
    return FailingChatModel(
        inner=ScriptedChatModel(responses=s.therapist_reply), error=error, failures=failures
    )


def test_a_model_that_keeps_timing_out_gets_a_safe_reply_and_the_session_goes_on(make_agent):
    # start_session's opening uses 3 attempts, then each turn's draft 3 more
    model = _failing(failures=3 + 3)
    agent = make_agent(therapist=model)
    info = agent.start_session(s.CLIENT)
    assert info.opening  # a template opening instead of the model's
    first = agent.respond(s.CLIENT, s.TURNS[0])
    assert first.reply_source == "model_fallback" and first.text
    trace = agent.traces(s.CLIENT)[0]
    assert len(trace["errors"]) == 3 and all("TimeoutError" in e for e in trace["errors"])
    assert model.attempts == 6, "retries are bounded by model_retries"
    second = agent.respond(s.CLIENT, s.TURNS[1])  # the model is back
    assert second.reply_source == "model" and second.text == s.therapist_reply_for(s.TURNS[1])
    agent.end_session(s.CLIENT)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)


@pytest.mark.parametrize("retries", [0, 1, 4])
def test_retries_follow_the_setting(make_agent, retries):
    model = _failing(failures=-1, error=ConnectionError("connection refused"))
    agent = make_agent(therapist=model, model_retries=retries)
    agent.start_session(s.CLIENT)
    before = model.attempts
    reply = agent.respond(s.CLIENT, s.TURNS[0])
    assert reply.reply_source == "model_fallback"
    assert model.attempts - before == retries + 1


def test_a_transient_error_is_retried_within_the_same_turn(make_agent):
    agent = make_agent()  # a healthy opening, then a flaky model for the turn
    agent.start_session(s.CLIENT)
    agent.therapist_model = _failing(failures=2, error=RuntimeError("HTTP 503 overloaded"))
    reply = agent.respond(s.CLIENT, s.TURNS[0])
    assert reply.reply_source == "model" and reply.text == s.therapist_reply_for(s.TURNS[0])
    assert len(agent.traces(s.CLIENT)[0]["errors"]) == 2


def test_an_empty_reply_counts_as_a_failure_and_falls_back(make_agent):
    agent = make_agent(therapist=lambda messages: "   ")
    agent.start_session(s.CLIENT)
    reply = agent.respond(s.CLIENT, s.TURNS[0])
    assert reply.reply_source == "model_fallback" and reply.text.strip()


@pytest.mark.parametrize(
    "bad",
    [
        "this is not JSON {",
        '{"concerns": ["no text field"]}',
        '{"text": 42, "concerns": "not a list"}',
        "",
    ],
    ids=["not-json", "missing-field", "wrong-types", "empty"],
)
def test_a_malformed_summary_is_retried_then_replaced_by_an_extractive_one(make_agent, bad):
    supervisor = ScriptedChatModel(responses=lambda messages, schema=None: bad)
    agent = make_agent(supervisor=supervisor)
    agent.start_session(s.CLIENT)
    for text in s.TURNS[:2]:
        agent.respond(s.CLIENT, text)
    review = agent.end_session(s.CLIENT)
    assert review.summary.text.startswith("The client opened with")
    structured = [c for c in supervisor.calls if c.schema is not None]
    assert len(structured) == 3, "one try plus model_retries=2 retries"
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)


def test_a_supervisor_that_errors_still_reviews_and_plans(make_agent):
    supervisor = FailingChatModel(
        inner=ScriptedChatModel(responses=s.supervisor_reply), error=TIMEOUT, failures=-1
    )
    agent = make_agent(supervisor=supervisor)
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    review = agent.end_session(s.CLIENT)
    assert review.plan_version == 2 and review.summary.text
    s.assert_whole(agent, s.CLIENT, {"kim-s001": [s.TURNS[0]]}, reviewed=1)


def test_a_supervisor_that_recovers_on_retry_gives_the_model_summary(make_agent):
    supervisor = FailingChatModel(
        inner=ScriptedChatModel(responses=s.supervisor_reply), error=TIMEOUT, failures=2
    )
    agent = make_agent(supervisor=supervisor)
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    assert agent.end_session(s.CLIENT).summary.text == s.SUMMARY["text"]


def test_failing_perception_and_safety_models_fall_back_and_still_catch_a_crisis(
    tmp_path, hashing, clock
):
    """With the hashing embedder every turn looks borderline, so the safety LLM is always asked.

    A failing second opinion may only raise the risk (fail closed), never lower it.
    """
    broken = FailingChatModel(
        inner=ScriptedChatModel(responses=s.supervisor_reply), error=TIMEOUT, failures=-1
    )
    from theraloop.agent import Settings, TherapistAgent

    agent = TherapistAgent.from_settings(
        Settings(data_dir=tmp_path / "data", therapist_model="fake"),
        clock=clock,
        models={
            "therapist": ScriptedChatModel(responses=s.therapist_reply),
            "supervisor": ScriptedChatModel(responses=s.supervisor_reply),
            "perception": broken,
            "safety": broken,
        },
        embedder=hashing,
    )
    plain = s.build_agent(tmp_path / "plain", hashing, clock=clock)  # no safety LLM at all
    order = ("none", "low", "moderate", "high", "imminent")
    try:
        for a in (agent, plain):
            a.start_session(s.CLIENT)
        calm = agent.respond(s.CLIENT, s.TURNS[0])
        baseline = plain.respond(s.CLIENT, s.TURNS[0])
        assert broken.attempts > 0, "the failing models were never consulted"
        assert calm.emotion and calm.text  # perception fell back to the prototype reading
        assert order.index(calm.risk_level) >= order.index(baseline.risk_level)
        crisis = agent.respond(s.CLIENT, s.CRISIS_TEXT)
        assert crisis.crisis and crisis.reply_source == "crisis_protocol"
        agent.end_session(s.CLIENT)
        s.assert_whole(agent, s.CLIENT, {"kim-s001": [s.TURNS[0], s.CRISIS_TEXT]}, reviewed=1)
    finally:
        agent.close()
        plain.close()


class Stall:
    """Make scripted models hang (each call for ``HANG_S``) until :meth:`recover` is called."""

    def __init__(self) -> None:
        self.hanging = threading.Event()
        self.hanging.set()
        self._release = threading.Event()
        self.calls = 0
        """Calls that reached a responder (a scripted model holds its lock while one hangs)."""

    def __call__(self, reply: Callable[..., Any]) -> Callable[..., Any]:
        """Return a responder that hangs while the stall lasts, then answers with ``reply``."""

        def respond(messages, schema=None):
            self.calls += 1
            if self.hanging.is_set():
                self._release.wait(HANG_S)
            return reply(messages) if schema is None else reply(messages, schema)

        return respond

    def recover(self) -> None:
        """Answer promptly from now on; calls still hanging in the background return."""
        self.hanging.clear()
        self._release.set()


def test_a_model_call_past_model_timeout_s_is_abandoned_retried_then_falls_back(make_agent):
    stall = Stall()
    model = ScriptedChatModel(responses=stall(s.therapist_reply))
    agent = make_agent(therapist=model, model_timeout_s=0.3, model_retries=1)
    try:
        started = time.perf_counter()
        info = agent.start_session(s.CLIENT)
        first = agent.respond(s.CLIENT, s.TURNS[0])
        waited = time.perf_counter() - started

        assert waited < HANG_S / 2, "the stalled calls were waited for, not abandoned"
        assert info.opening.startswith("Hello")  # the template opening
        assert first.reply_source == "model_fallback" and first.text
        errors = agent.traces(s.CLIENT)[0]["errors"]
        assert len(errors) == 2 and all("ModelTimeoutError" in e for e in errors)

        stall.recover()
        second = agent.respond(s.CLIENT, s.TURNS[1])
        assert second.reply_source == "model" and second.text == s.therapist_reply_for(s.TURNS[1])
        agent.end_session(s.CLIENT)
        s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)
    finally:
        stall.recover()


def test_stalled_perception_safety_and_supervisor_calls_time_out_and_fail_safe(
    tmp_path, hashing, clock
):
    """Perception falls back, the safety layer fails closed, the summary turns extractive."""
    from theraloop.agent import Settings, TherapistAgent

    stall = Stall()
    agent = TherapistAgent.from_settings(
        Settings(
            data_dir=tmp_path / "data", therapist_model="fake", model_timeout_s=0.3, model_retries=1
        ),
        clock=clock,
        models={
            "therapist": ScriptedChatModel(responses=s.therapist_reply),
            "supervisor": ScriptedChatModel(responses=stall(s.supervisor_reply)),
            "perception": ScriptedChatModel(responses=stall(s.supervisor_reply)),
            "safety": ScriptedChatModel(responses=stall(s.supervisor_reply)),
        },
        embedder=hashing,
    )
    try:
        started = time.perf_counter()
        agent.start_session(s.CLIENT)
        calm = agent.respond(s.CLIENT, s.TURNS[0])
        crisis = agent.respond(s.CLIENT, s.CRISIS_TEXT)
        review = agent.end_session(s.CLIENT)
        waited = time.perf_counter() - started

        assert waited < HANG_S / 2, "the stalled calls were waited for, not abandoned"
        assert stall.calls >= 3, "the stalled models were never consulted"
        assert calm.text and calm.emotion  # perception fell back to the prototype reading
        risk_errors = agent.traces(s.CLIENT)[0]["risk"]["errors"]
        assert any("ModelTimeoutError" in e for e in risk_errors), risk_errors  # failed closed
        assert crisis.crisis and crisis.reply_source == "crisis_protocol"
        assert review.summary.text.startswith("The client opened with")  # extractive fallback
        s.assert_whole(agent, s.CLIENT, {"kim-s001": [s.TURNS[0], s.CRISIS_TEXT]}, reviewed=1)
    finally:
        stall.recover()
        agent.close()
