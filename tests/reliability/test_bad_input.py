"""Bad input at every public entry point: a typed error (or documented safe behaviour), no change.

The state check compares everything the agent holds (every client's export, including the
checkpointed conversation and memory) before and after the refused call.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.reliability import _support as s
from theraloop.agent import (
    InvalidInputError,
    SessionNotStartedError,
    TheraloopError,
    UnknownClientError,
)

BAD_TEXTS = {
    "empty": "",
    "whitespace": " \n\t \u00a0\u2003 ",
    "1MB": "I feel sad. " * 90_000,
    "just-over-limit": "x" * 8_001,
    "lone-surrogate": "I feel \ud800 lost",
    "low-surrogate": "\udcff",
    "control-only": "\x00\x01\x02\x1b\x7f",
    "none": None,
    "bytes": b"I feel sad",
    "int": 42,
    "list": ["I feel sad"],
}
BAD_IDS = {
    "empty": "",
    "space": " ",
    "slash": "a/b",
    "dotdot": "../etc",
    "too-long": "x" * 65,
    "1MB": "x" * 1_000_000,
    "nul": "kim\x00",
    "control": "kim\x1b",
    "surrogate": "ki\ud800m",
    "trailing-space": "kim ",
    "non-ascii": "kïm",
    "none": None,
    "int": 7,
}
BAD_ANSWERS = {
    "too-short": [1, 2],
    "too-high": [4] * 9,
    "negative": [-1] * 9,
    "strings": ["a"] * 9,
    "floats": [1.5] * 9,
}


def _state(agent) -> str:
    return json.dumps(
        {c: agent.export_client(c) for c in agent.records.clients()}, sort_keys=True, default=str
    )


@pytest.fixture
def busy(make_agent):
    """An agent with one closed and one open session, so refusals have state to leave alone."""
    agent = make_agent()
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[0])
    agent.end_session(s.CLIENT)
    agent.start_session(s.CLIENT)
    agent.respond(s.CLIENT, s.TURNS[1])
    return agent


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_bad_messages_are_refused_everywhere_and_change_nothing(busy, text):
    before = _state(busy)
    with pytest.raises(InvalidInputError):
        busy.respond(s.CLIENT, text)
    with pytest.raises(InvalidInputError):
        asyncio.run(busy.arespond(s.CLIENT, text))
    with pytest.raises(InvalidInputError):
        list(busy.stream(s.CLIENT, text))
    assert _state(busy) == before


ENTRY_POINTS = {
    "start_session": lambda a, c: a.start_session(c),
    "respond": lambda a, c: a.respond(c, "hello"),
    "end_session": lambda a, c: a.end_session(c),
    "history": lambda a, c: a.history(c),
    "traces": lambda a, c: a.traces(c),
    "export_client": lambda a, c: a.export_client(c),
    "erase_client": lambda a, c: a.erase_client(c),
    "astart_session": lambda a, c: asyncio.run(a.astart_session(c)),
    "arespond": lambda a, c: asyncio.run(a.arespond(c, "hello")),
    "aend_session": lambda a, c: asyncio.run(a.aend_session(c)),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_bad_client_ids_are_refused_at_every_entry_point(busy, entry):
    before = _state(busy)
    for bad in BAD_IDS.values():
        with pytest.raises(InvalidInputError):
            ENTRY_POINTS[entry](busy, bad)
    assert _state(busy) == before


@pytest.mark.parametrize("answers", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_questionnaire_answers_are_refused_before_anything_is_written(busy, answers):
    before = _state(busy)
    with pytest.raises(InvalidInputError):
        busy.start_session("newcomer", phq9=answers)
    with pytest.raises(InvalidInputError):
        busy.start_session("newcomer", gad7=answers)
    with pytest.raises(InvalidInputError):
        busy.end_session(s.CLIENT, phq9=answers)
    assert _state(busy) == before
    assert "newcomer" not in busy.records.clients()
    assert busy.records.open_session(s.CLIENT) is not None  # still open


def test_an_unknown_client_gets_typed_errors_and_nothing_is_created(busy):
    before = _state(busy)
    with pytest.raises(SessionNotStartedError):
        busy.respond("nobody", "hello")
    with pytest.raises(SessionNotStartedError):
        busy.end_session("nobody")
    with pytest.raises(UnknownClientError):
        busy.history("nobody")
    with pytest.raises(UnknownClientError):
        busy.export_client("nobody")
    assert busy.traces("nobody") == []
    assert busy.erase_client("nobody") == {"checkpoint_threads": 0, "records": 0}
    assert _state(busy) == before and "nobody" not in busy.records.clients()
    assert not busy.memory.has_client("nobody")


def test_ending_twice_and_responding_after_the_end_are_refused(busy):
    busy.end_session(s.CLIENT)
    before = _state(busy)
    with pytest.raises(SessionNotStartedError):
        busy.end_session(s.CLIENT)
    with pytest.raises(SessionNotStartedError):
        busy.respond(s.CLIENT, "one more thing")
    assert _state(busy) == before


def test_starting_twice_resumes_instead_of_opening_a_second_session(busy):
    before = _state(busy)
    info = busy.start_session(s.CLIENT)
    assert info.resumed and info.session_number == 2 and info.turns_so_far == 1
    assert _state(busy) == before


def test_format_characters_are_stripped_and_unicode_is_normalised(busy):
    reply = busy.respond(s.CLIENT, "I feel\u202e tired\u2066 and cafe\u0301 helps")
    said = busy.traces(s.CLIENT)[-1]["client_text"]
    assert said == "I feel tired and caf\u00e9 helps"
    assert reply.turn_index == 2


def test_control_characters_are_refused_and_change_nothing(busy):
    before = _state(busy)
    with pytest.raises(InvalidInputError, match="control character"):
        busy.respond(s.CLIENT, "I feel\x07 tired\x1b[0m today")
    assert _state(busy) == before


def test_every_refusal_is_a_theraloop_error_and_a_builtin(busy):
    with pytest.raises(TheraloopError):
        busy.respond(s.CLIENT, "")
    with pytest.raises(ValueError):
        busy.respond(s.CLIENT, "")
    with pytest.raises(RuntimeError):
        busy.respond("nobody", "hi")
    with pytest.raises(KeyError):
        busy.history("nobody")


@pytest.mark.parametrize(
    "field,value",
    [
        ("therapist_model", "gpt4"),
        ("chroma_url", "localhost:8000"),
        ("checkpoint_url", "mysql://x"),
        ("locale", "english"),
        ("memory_k", 0),
        ("model_retries", -1),
        ("temperature", 5.0),
        ("no_such_setting", 1),
    ],
)
def test_bad_settings_fail_fast_naming_the_setting(tmp_path, field, value):
    from pydantic import ValidationError

    from theraloop.agent import Settings

    with pytest.raises(ValidationError) as err:
        Settings(data_dir=tmp_path, **{field: value})
    assert field in str(err.value)
