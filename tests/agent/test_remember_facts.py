"""The remember node keeps facts current and honours a client's request to forget."""

from __future__ import annotations

from datetime import timedelta

from theraloop.memory import ManualClock


def _say(agent, clock: ManualClock, *lines: str) -> None:  # noqa: ANN001
    agent.start_session("ana")
    for line in lines:
        clock.advance(timedelta(minutes=2))
        agent.respond("ana", line)
    agent.end_session("ana")
    clock.advance(timedelta(days=7))


def test_a_move_supersedes_the_old_address(make_agent, clock: ManualClock) -> None:  # noqa: ANN001
    agent = make_agent()
    _say(agent, clock, "I live in a small flat in Leeds.")
    _say(agent, clock, "I've moved to Bristol, near the harbour.")
    said = {i.text: i for i in agent.memory.items("ana") if i.speaker == "client"}
    old, new = (
        said["I live in a small flat in Leeds."],
        said["I've moved to Bristol, near the harbour."],
    )
    assert (old.fact_key, old.superseded_by, new.superseded_by) == ("residence", new.id, None)


def test_the_old_address_is_not_recalled(make_agent, clock: ManualClock) -> None:  # noqa: ANN001
    agent = make_agent(memory_k=5)
    _say(agent, clock, "I live in a small flat in Leeds.")
    _say(agent, clock, "I've moved to Bristol, near the harbour.")
    agent.start_session("ana")
    reply = agent.respond("ana", "The flat in Leeds... I mean where I live now is noisy.")
    assert not [m.text for m in reply.recalled if "Leeds" in m.text and m.kind == "turn"]


def test_a_forget_request_deletes_the_memory_and_is_not_stored(
    make_agent,  # noqa: ANN001
    clock: ManualClock,
) -> None:
    agent = make_agent()
    _say(agent, clock, "I had an affair with a colleague called Daniel.", "I slept badly.")
    _say(agent, clock, "Please forget what I told you about Daniel.")
    texts = [i.text for i in agent.memory.items("ana", include_archived=True)]
    assert texts and not [t for t in texts if "Daniel" in t]


def test_a_summary_quoting_the_old_address_is_recalled_without_it(
    make_agent,  # noqa: ANN001
    clock: ManualClock,
) -> None:
    agent = make_agent(memory_k=8)
    _say(agent, clock, "I live in a small flat in Leeds.", "Work has been hard.")
    _say(agent, clock, "I've moved to Bristol, near the harbour.")
    agent.start_session("ana")
    reply = agent.respond("ana", "The flat in Leeds... I mean where I live now is noisy.")
    summaries = [m.text for m in reply.recalled if m.kind == "session_summary"]
    assert len(summaries) == 2 and not [t for t in summaries if "Leeds" in t]
