from __future__ import annotations

from theraloop.agent.prompts import opening_messages
from theraloop.agent.records import SessionSummary


def _instruction(last_summary: SessionSummary | None) -> str:
    messages = opening_messages(
        plan=None, last_summary=last_summary, portrait=None, session_number=2
    )
    return str(messages[-1].content)


def test_a_first_session_opening_is_told_no_homework_was_set():
    instruction = _instruction(None)
    assert "do not mention homework" in instruction
    assert "how the homework went" not in instruction


def test_an_opening_after_a_session_without_homework_does_not_ask_about_it():
    instruction = _instruction(SessionSummary(text="We talked about sleep."))
    assert "do not mention homework" in instruction


def test_an_opening_after_homework_was_agreed_asks_how_it_went():
    instruction = _instruction(SessionSummary(text="...", homework="Log two walks."))
    assert "Ask how the homework went." in instruction
    assert "do not mention homework" not in instruction
