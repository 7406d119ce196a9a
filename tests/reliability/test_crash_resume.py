"""A real process is SIGKILLed inside every node of both graphs; a fresh one resumes its data.

Each child (``_driver.py``) opens a session for ``kim``, says two things and, for the supervisor
points, ends the session; at the chosen point it kills itself with SIGKILL. This test process
then plays the restarted app on the same data dir and checks that nothing was lost, doubled or
left half-written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reliability import _support as s
from tests.reliability._driver import CRISIS_POINTS, CROSS, INTRA
from theraloop.agent.testing import ScriptedChatModel


def _second(point: str) -> str:
    return s.CRISIS_TEXT if point in CRISIS_POINTS else s.TURNS[1]


@pytest.mark.parametrize("point", INTRA)
def test_a_turn_killed_inside_any_node_is_finished_once_from_its_checkpoint(
    point, crashed, make_agent
):
    data = crashed(point)
    recorder = ScriptedChatModel(responses=s.therapist_reply)
    agent = make_agent(data, therapist=recorder)

    info = agent.start_session(s.CLIENT)
    assert info.resumed and info.session_number == 1
    assert info.turns_so_far == 2, "the interrupted turn was not finished from its checkpoint"
    # the client never saw the reply, so its app sends the same message again: answered once
    again = agent.respond(s.CLIENT, _second(point))
    assert again.turn_index == 2
    assert again.crisis is (point in CRISIS_POINTS)
    following = agent.respond(s.CLIENT, s.TURNS[2])
    assert following.turn_index == 3
    if recorder.calls:  # a crisis turn never reaches the model
        assert s.TURNS[0] in recorder.calls[-1].prompt, "history did not come from the checkpoint"
    agent.end_session(s.CLIENT)
    s.assert_whole(
        agent, s.CLIENT, {"kim-s001": [s.TURNS[0], _second(point), s.TURNS[2]]}, reviewed=1
    )


@pytest.mark.parametrize("point", CROSS)
def test_a_review_killed_inside_any_node_completes_once_when_end_session_is_retried(
    point, crashed, make_agent, clock
):
    data = crashed(point)
    agent = make_agent(data)

    review = agent.end_session(s.CLIENT)  # the call that died is simply made again
    assert (review.session_number, review.plan_version) == (1, 2)
    assert review.summary.text == s.SUMMARY["text"]
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)
    assert [x.status for x in agent.records.sessions(s.CLIENT)] == ["closed"]

    clock.advance(timedelta(days=7))
    info = agent.start_session(s.CLIENT)
    assert (info.session_number, info.resumed, info.plan.version) == (2, False, 2)
    agent.respond(s.CLIENT, s.TURNS[2])
    s.assert_whole(
        agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2]), "kim-s002": [s.TURNS[2]]}, reviewed=1
    )


def test_after_a_crash_the_client_may_simply_go_on_without_resending(crashed, make_agent):
    data = crashed("respond", "-continue")
    agent = make_agent(data)
    agent.start_session(s.CLIENT)
    assert agent.respond(s.CLIENT, s.TURNS[2]).turn_index == 3
    agent.end_session(s.CLIENT)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:3])}, reviewed=1)


def test_resending_the_interrupted_message_without_start_session_answers_it_once(
    crashed, make_agent
):
    data = crashed("remember:memories_written", "-resend")
    agent = make_agent(data)
    reply = agent.respond(s.CLIENT, s.TURNS[1])
    assert reply.turn_index == 2 and reply.text == s.therapist_reply_for(s.TURNS[1])
    agent.end_session(s.CLIENT)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2])}, reviewed=1)


def test_start_session_after_a_crash_in_the_review_finishes_that_review_first(
    crashed, make_agent, clock
):
    data = crashed("plan:plan_saved", "-restart")
    agent = make_agent(data)
    clock.advance(timedelta(days=7))
    info = agent.start_session(s.CLIENT)
    assert (info.session_number, info.resumed, info.plan.version) == (2, False, 2)
    s.assert_whole(agent, s.CLIENT, {"kim-s001": list(s.TURNS[:2]), "kim-s002": []}, reviewed=1)
