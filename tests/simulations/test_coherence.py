"""Cross-session coherence counts what a client would notice over several sessions."""

from __future__ import annotations

from theraloop.simulations.coherence import client_coherence, internal_labels
from theraloop.simulations.rundata import ClientRun, SessionRun
from theraloop.simulations.trace import SessionStartRecord, TraceTurn

LINE = "It sounds like the nights have been long and lonely for you lately."


def _session(number: int, opening: str, replies: list[str], homework: str = "") -> SessionRun:
    start = SessionStartRecord.model_construct(opening=opening, plan={"homework": homework})
    turns = [TraceTurn.model_construct(therapist={"text": text}) for text in replies]
    return SessionRun(client_id="maya", number=number, start=start, turns=turns)


def _client(*sessions: SessionRun) -> ClientRun:
    return ClientRun(client_id="maya", profile=None, sessions=list(sessions))


def test_a_sentence_from_an_earlier_session_counts_as_a_repeat():
    found = client_coherence(
        _client(_session(1, "Hello.", [LINE]), _session(2, "Welcome back.", [f"I see. {LINE}"]))
    )
    assert found.sentences_repeated_across_sessions == 1 and found.replies == 2


def test_an_opening_said_again_in_a_later_session_counts_as_a_repeat():
    opening = "Welcome back. Last time we talked about flatness and lack of motivation."
    found = client_coherence(_client(_session(1, opening, []), _session(2, opening, [])))
    assert found.sentences_repeated_across_sessions == 1


def test_the_same_sentence_twice_in_one_session_is_left_to_the_turn_checks():
    found = client_coherence(_client(_session(1, "Hello.", [LINE, LINE])))
    assert found.sentences_repeated_across_sessions == 0


def test_an_opening_naming_an_internal_id_is_counted():
    found = client_coherence(
        _client(_session(1, "Last time we worked on reflection_of_feelings. How are you?", []))
    )
    assert found.openings_with_internal_labels == 1
    assert internal_labels("We talked about person_centred work.") == ["person_centred"]


def test_homework_may_be_asked_about_only_once_it_was_set():
    early = client_coherence(_client(_session(1, "How did the homework go?", [])))
    after = client_coherence(
        _client(_session(1, "Hello.", []), _session(2, "How did the homework go?", [], "walks"))
    )
    assert early.homework_asked_before_set == 1
    assert after.homework_asked_before_set == 0
