"""The reply model is shown the chosen strategy's exemplars as earlier message pairs."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from theraloop.agent.prompts import EXEMPLAR_MARK, therapist_messages
from theraloop.agent.safety.conditions import condition_exemplars, perceive
from theraloop.strategies import get_strategy


def _messages(exemplars):
    return therapist_messages(
        plan=None,
        portrait="No portrait yet.",
        history=[("I can't sleep.", "What keeps you awake?")],
        client_text="Money, mostly.",
        strategy_name="Question",
        strategy_guidance="Strategy for this reply: Question.",
        memories=[],
        emotion="anxiety",
        intensity=3,
        reaction="engaged",
        exemplars=exemplars,
    )


def test_exemplars_sit_between_the_history_and_the_turn_notes_as_marked_pairs():
    messages = _messages([("My boss ignores me.", "How did it get to this point?")])
    assert [type(m) for m in messages[1:]] == [
        HumanMessage,
        AIMessage,
        HumanMessage,
        AIMessage,
        HumanMessage,
    ]
    assert (
        messages[1].content == "I can't sleep." and messages[2].content == "What keeps you awake?"
    )
    assert str(messages[3].content).startswith(EXEMPLAR_MARK)
    assert str(messages[3].content).endswith("My boss ignores me.")
    assert messages[4].content == "How did it get to this point?"
    assert "[Client says]\nMoney, mostly." in str(messages[5].content)


def test_the_cached_prefix_does_not_depend_on_the_strategy():
    without = _messages([])
    with_pairs = _messages([("My boss ignores me.", "How did it get to this point?")])
    assert with_pairs[:3] == without[:3]


def test_a_turn_shows_the_chosen_strategy_exemplars_and_no_inline_examples(make_agent):
    seen: list[list] = []

    def therapist(messages):
        seen.append(messages)
        return "Thank you for telling me. What feels heaviest right now?"

    agent = make_agent(therapist=therapist)
    agent.start_session("alice")
    reply = agent.respond("alice", "I can't sleep since the move.")
    strategy = get_strategy(reply.strategy)
    turn_prompt = seen[-1]
    shown = [str(m.content) for m in turn_prompt if isinstance(m, AIMessage)]
    assert list(strategy.examples) == shown[-len(strategy.examples) :]
    assert "Examples of the style" not in str(turn_prompt[-1].content)


def test_while_a_condition_holds_its_exemplars_replace_the_strategy_exemplars(make_agent):
    seen: list[list] = []

    def therapist(messages):
        seen.append(messages)
        return "That sounds frightening. Are you feeling safe right now?"

    agent = make_agent(therapist=therapist)
    agent.start_session("alice")
    said = "The voices say I have to leave the city tonight."
    agent.respond("alice", said)
    shown = [str(m.content) for m in seen[-1] if isinstance(m, AIMessage)]
    wanted = [e.reply for e in condition_exemplars(perceive(said))]
    assert wanted and shown[-len(wanted) :] == wanted
    marks = [str(m.content) for m in seen[-1] if str(m.content).startswith(EXEMPLAR_MARK)]
    assert all("possible hallucinations" in mark for mark in marks)
