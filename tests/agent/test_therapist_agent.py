from __future__ import annotations

from datetime import timedelta

import pytest

from theraloop.agent import InvalidInputError, SessionNotStartedError, UnknownClientError
from theraloop.agent.session_graph import NODES

TURN_NODES = {
    "perceive",
    "assess_risk",
    "recall",
    "read_reaction",
    "choose_strategy",
    "respond",
    "remember",
}


def test_a_turn_passes_all_seven_nodes_and_leaves_a_trace(make_agent):
    agent = make_agent()
    agent.start_session("alice")
    reply = agent.respond("alice", "I've been feeling so low since my divorce.")
    assert reply.text.startswith("That sounds really hard")
    assert set(reply.trace["latency_ms"]) == TURN_NODES
    assert reply.emotion and 1 <= reply.intensity <= 5
    assert reply.risk_level == "none"
    assert reply.strategy is not None and reply.strategy_reason
    assert agent.traces("alice")[0]["trace_id"] == reply.trace_id


def test_respond_before_start_session_is_refused(make_agent):
    agent = make_agent()
    with pytest.raises(SessionNotStartedError):
        agent.respond("bob", "hello")


def test_ending_a_session_twice_is_refused(make_agent):
    agent = make_agent()
    agent.start_session("alice")
    agent.respond("alice", "I feel stuck at work.")
    agent.end_session("alice")
    with pytest.raises(SessionNotStartedError):
        agent.end_session("alice")


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "x" * 1_000_000, "bad \ud800 surrogate", "\x00\x01\x02"],
    ids=["empty", "whitespace", "1MB", "surrogate", "control-only"],
)
def test_bad_messages_get_a_typed_error_and_change_nothing(make_agent, text):
    agent = make_agent()
    agent.start_session("alice")
    agent.respond("alice", "I feel anxious about tomorrow.")
    before = agent.traces("alice")
    with pytest.raises(InvalidInputError):
        agent.respond("alice", text)
    assert agent.traces("alice") == before


@pytest.mark.parametrize("client_id", ["", "a/b", "x" * 65, "../etc", None])
def test_invalid_client_ids_are_refused(make_agent, client_id):
    with pytest.raises(InvalidInputError):
        make_agent().start_session(client_id)


def test_history_of_an_unknown_client_is_a_typed_error(make_agent):
    with pytest.raises(UnknownClientError):
        make_agent().history("nobody")


def test_control_characters_are_refused_and_format_characters_stripped(make_agent):
    agent = make_agent()
    agent.start_session("alice")
    with pytest.raises(InvalidInputError, match="control character"):
        agent.respond("alice", "I feel\x07 tired\x1b today")
    reply = agent.respond("alice", "I feel\u202e tired\u200b today")
    assert agent.traces("alice")[-1]["client_text"] == "I feel tired today"
    assert reply.turn_index == 1


def test_a_new_process_resumes_the_open_session(make_agent, tmp_path):
    first = make_agent()
    first.start_session("alice")
    first.respond("alice", "My sister stopped talking to me.")
    first.close()
    second = make_agent()
    info = second.start_session("alice")
    assert info.resumed and info.turns_so_far == 1 and info.session_number == 1
    reply = second.respond("alice", "It has been three weeks now.")
    assert reply.turn_index == 2


def test_memories_from_an_earlier_session_are_recalled(make_agent, clock):
    agent = make_agent()
    agent.start_session("alice")
    agent.respond("alice", "My dog Biscuit died last month and the house feels empty.")
    agent.end_session("alice")
    clock.advance(timedelta(days=7))
    agent.start_session("alice")
    reply = agent.respond("alice", "I keep thinking about Biscuit when I come home.")
    assert any("Biscuit" in m.text for m in reply.recalled)


def test_no_memory_ablation_recalls_nothing(make_agent, clock):
    agent = make_agent(use_memory=False)
    agent.start_session("alice")
    agent.respond("alice", "My dog Biscuit died last month.")
    agent.end_session("alice")
    clock.advance(timedelta(days=7))
    agent.start_session("alice")
    assert agent.respond("alice", "I keep thinking about Biscuit.").recalled == ()


def test_clients_never_see_each_others_memories(make_agent, clock):
    agent = make_agent()
    for client, pet in (("alice", "Biscuit"), ("bob", "Rex")):
        agent.start_session(client)
        agent.respond(client, f"My dog {pet} died and I miss him every day.")
        agent.end_session(client)
    clock.advance(timedelta(days=3))
    agent.start_session("bob")
    reply = agent.respond("bob", "I miss my dog Biscuit so much.")
    assert reply.recalled and all("Biscuit" not in m.text for m in reply.recalled)


def test_history_lists_sessions_plans_and_reviews_in_order(make_agent, clock):
    agent = make_agent()
    for _ in range(2):
        agent.start_session("alice")
        agent.respond("alice", "Work keeps piling up and I can't switch off.")
        agent.end_session("alice")
        clock.advance(timedelta(days=7))
    history = agent.history("alice")
    assert [s.session_number for s in history.sessions] == [1, 2]
    assert all(s.status == "closed" for s in history.sessions)
    assert [p.version for p in history.plans] == [1, 2, 3]
    assert [r.session_number for r in history.reviews] == [1, 2]


def test_export_then_erase_removes_everything(make_agent):
    agent = make_agent()
    agent.start_session("alice")
    agent.respond("alice", "I argue with my partner every night.")
    agent.end_session("alice")
    agent.start_session("bob")
    agent.respond("bob", "I can't focus at work.")
    exported = agent.export_client("alice")
    assert exported["conversations"]["alice-s001"][0]["client_text"].startswith("I argue")
    counts = agent.erase_client("alice")
    assert counts["records"] > 0 and counts["checkpoint_threads"] == 2
    with pytest.raises(UnknownClientError):
        agent.history("alice")
    assert not agent.memory.has_client("alice")
    assert agent.session_graph.get_state({"configurable": {"thread_id": "alice-s001"}}).values == {}
    assert agent.traces("bob")  # the other client is untouched


def test_model_failure_gives_a_safe_reply_and_the_turn_is_recorded(make_agent):
    def broken(messages):
        raise TimeoutError("model timed out")

    agent = make_agent(therapist=broken)
    agent.start_session("alice")
    reply = agent.respond("alice", "I had a rough day.")
    assert reply.reply_source == "model_fallback" and reply.text
    assert agent.traces("alice")[0]["errors"]


def test_nodes_constant_names_every_graph_node(make_agent):
    graph = make_agent().session_graph
    assert set(NODES) == {n for n in graph.get_graph().nodes if not n.startswith("__")}


def test_a_draft_with_a_template_placeholder_is_retried(make_agent):
    drafts = iter(
        [
            "Hello [client's name], welcome.",
            "Welcome. What brings you here today?",
            "I hear you, [NAME].",
            "Thank you for telling me. What weighs most?",
        ]
    )
    agent = make_agent(therapist=lambda messages: next(drafts))
    assert agent.start_session("alice").opening == "Welcome. What brings you here today?"
    reply = agent.respond("alice", "I can't sleep since the move.")
    assert reply.text == "Thank you for telling me. What weighs most?"
    assert reply.reply_source == "model"


def test_an_opening_that_keeps_a_placeholder_falls_back_to_a_plain_greeting(make_agent):
    agent = make_agent(therapist=lambda messages: "Welcome, [NAME]!")
    info = agent.start_session("alice")
    assert "[" not in info.opening and info.opening.strip()


def _said(messages) -> str:
    return messages[-1].text


def test_a_draft_that_repeats_a_sentence_of_a_recent_reply_is_redrafted_with_a_note(make_agent):
    sentence = "It's important to take care of yourself and your time."
    drafts = iter(
        [
            "Welcome. What brings you here?",
            f"That sounds heavy. {sentence}",
            f"I hear how tired you are. {sentence}",
            "Tired and still showing up: what keeps you going on those mornings?",
        ]
    )
    agent = make_agent(therapist=lambda messages: next(drafts))
    agent.start_session("alice")
    agent.respond("alice", "Work is draining me.")
    reply = agent.respond("alice", "I wake up exhausted every day.")
    assert reply.text.startswith("Tired and still showing up")
    redraft_prompt = _said(agent.therapist_model.calls[-1].messages)
    assert "You already said" in redraft_prompt and sentence in redraft_prompt


def test_when_every_redraft_repeats_the_last_one_is_still_sent(make_agent):
    sentence = "Can you tell me more about what is making you feel this way?"
    agent = make_agent(therapist=lambda messages: f"I see. {sentence}")
    agent.start_session("alice")
    agent.respond("alice", "Work is draining me.")
    reply = agent.respond("alice", "I wake up exhausted every day.")
    assert reply.text == f"I see. {sentence}" and reply.reply_source == "model"


def test_a_draft_that_talks_about_the_client_in_the_third_person_is_redrafted(make_agent):
    drafts = iter(
        [
            "Welcome. What brings you here?",
            "The client mentioned feeling ashamed at intensity 4/5.",
            "That shame sounds painful. What happened after the seminar?",
        ]
    )
    agent = make_agent(therapist=lambda messages: next(drafts))
    agent.start_session("alice")
    reply = agent.respond("alice", "I felt so ashamed in the seminar.")
    assert reply.text == "That shame sounds painful. What happened after the seminar?"
    assert "speak to the client directly" in _said(agent.therapist_model.calls[-1].messages)


def test_when_every_redraft_repeats_the_repeated_sentences_are_dropped_if_enough_is_left(
    make_agent,
):
    stock = "It's important to take care of yourself and your time."
    agent = make_agent(therapist=lambda messages: f"That sounds heavy. {stock} What helps tonight?")
    agent.start_session("alice")
    first = agent.respond("alice", "Work is draining me.")
    second = agent.respond("alice", "I wake up exhausted every day.")
    assert stock in first.text
    assert second.text == "That sounds heavy. What helps tonight?"


def test_an_opening_redraft_carries_the_note_on_what_to_fix(make_agent):
    drafts = iter(["Hello [client's name], welcome.", "Welcome. What brings you here today?"])
    agent = make_agent(therapist=lambda messages: next(drafts))
    agent.start_session("alice")
    redraft_prompt = _said(agent.therapist_model.calls[-1].messages)
    assert "Write the counselor's opening" in redraft_prompt
    assert "template placeholder" in redraft_prompt
