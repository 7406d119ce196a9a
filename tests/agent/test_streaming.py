"""Token streaming: sentences leave as the model writes them, once the guard has passed them."""

from __future__ import annotations

import asyncio

from theraloop.agent.streaming import SentenceGate, rest_of_reply

THREE_SENTENCES = (
    "That sounds exhausting. You have carried a lot since the move. What has helped, even a little?"
)


def test_stream_yields_sentences_before_the_turn_is_recorded(make_agent):
    agent = make_agent(therapist=lambda messages: THREE_SENTENCES)
    info = agent.start_session("alice")
    turns_seen_at_first_piece = None
    pieces = []
    for piece in agent.stream("alice", "I can't sleep since the move."):
        if turns_seen_at_first_piece is None:
            turns_seen_at_first_piece = len(agent._turns(info.session_id))
        pieces.append(piece)
    assert turns_seen_at_first_piece == 0  # the graph was still running: real streaming
    assert pieces[:2] == ["That sounds exhausting. ", "You have carried a lot since the move. "]
    assert "".join(pieces) == THREE_SENTENCES


def test_streamed_text_is_the_reply_the_turn_recorded(make_agent):
    agent = make_agent(therapist=lambda messages: THREE_SENTENCES)
    agent.start_session("alice")
    streamed = "".join(agent.stream("alice", "I can't sleep since the move."))
    trace = agent.traces("alice")[-1]
    assert trace["turn_index"] == 1
    recorded = agent.export_client("alice")["conversations"]["alice-s001"][-1]["reply"]
    assert streamed == recorded


def test_a_sentence_the_guard_rejects_is_never_streamed(make_agent):
    means = "I hear you are curious. It is 746 feet tall. What brings it to mind today?"
    agent = make_agent(therapist=lambda messages: means)
    agent.start_session("alice")
    pieces = list(agent.stream("alice", "How tall is the Golden Gate Bridge?"))
    assert pieces[0] == "I hear you are curious. "
    assert not any("746" in p for p in pieces)
    recorded = agent.export_client("alice")["conversations"]["alice-s001"][-1]
    assert recorded["reply_source"] == "guard_fallback"
    assert "".join(pieces).endswith(recorded["reply"])


def test_a_crisis_message_streams_the_fixed_protocol_reply(make_agent):
    agent = make_agent(therapist=lambda messages: "MODEL TEXT THAT MUST NOT APPEAR.")
    agent.start_session("alice")
    crisis = "I have pills saved up and I'm going to take them tonight."
    pieces = list(agent.stream("alice", crisis))
    text = "".join(pieces)
    assert "MODEL TEXT" not in text
    history = agent.history("alice")
    assert history.crises and history.crises[-1].session_id == "alice-s001"


def test_astream_yields_the_same_pieces_as_stream(make_agent):
    agent = make_agent(therapist=lambda messages: THREE_SENTENCES)
    agent.start_session("alice")
    agent.start_session("bob")
    sync = list(agent.stream("alice", "I can't sleep since the move."))

    async def collect() -> list[str]:
        return [p async for p in agent.astream("bob", "I can't sleep since the move.")]

    assert asyncio.run(collect()) == sync


def test_the_sentence_gate_releases_a_sentence_only_once_what_follows_it_arrives():
    gate = SentenceGate()
    assert gate.feed("That sounds exhaus") == []
    assert gate.feed("ting.") == []  # "." could still be "..." or end a quote
    assert gate.feed(' "Really." And') == ["That sounds exhausting. ", '"Really." ']
    assert gate.feed(" then\nmore") == ["And then\n"]


def test_after_the_released_text_only_the_rest_of_the_recorded_reply_is_sent():
    released = "That sounds exhausting. "
    assert rest_of_reply(released, "That sounds exhausting. What helps?") == "What helps?"
    assert rest_of_reply(released, "That sounds exhausting.") is None


def test_a_replaced_draft_is_followed_by_the_safe_reply_in_full_after_a_blank_line():
    safe = "I can't help with that, but I'm here to talk."
    assert rest_of_reply("I hear you are curious. ", safe) == f"\n\n{safe}"
    assert rest_of_reply("", safe) == safe  # nothing released: the safe reply alone
