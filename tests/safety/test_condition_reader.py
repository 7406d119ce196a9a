"""The learned condition reader: a shipped, checked head that reads what the cue rules miss."""

from __future__ import annotations

import pytest

from theraloop.agent.safety import RiskAssessor
from theraloop.agent.safety import condition_reader as module
from theraloop.agent.safety.condition_reader import ConditionHead, ConditionReader, add_learned
from theraloop.agent.safety.conditions import load_rules, perceive
from theraloop.memory.errors import InvalidInputError

# Written for these tests; none is in the training file or an evaluation set.
UNRULED_DELUSION = "The council has put a device in my boiler that beams messages into my sleep."
ORDINARY = "My sister is visiting this weekend and I need to tidy the spare room."
DISTRESS = "I lost the flat today and I've got nowhere to go."


@pytest.fixture(scope="module")
def reader(minilm) -> ConditionReader:
    r = ConditionReader(minilm)
    r.warm_up()
    return r


def test_the_shipped_head_is_refused_when_its_digest_differs(monkeypatch) -> None:
    monkeypatch.setattr(module, "SHIPPED_SHA256", "0" * 64)
    with pytest.raises(InvalidInputError, match="condition_reader.npz"):
        ConditionHead.load()


def test_a_head_for_another_embedder_is_refused(minilm) -> None:
    class Other:
        name, dimensions = "other-embedder", 384

        def embed_documents(self, texts):
            return minilm.embed_documents(texts)

    with pytest.raises(InvalidInputError, match="trained on"):
        ConditionReader(Other()).warm_up()


def test_a_delusion_in_words_no_cue_names_is_read(reader) -> None:
    assert perceive(UNRULED_DELUSION).conditions == ()
    (reading,) = reader.read([UNRULED_DELUSION])
    assert "delusion" in {kind for kind, *_ in reading}


def test_an_ordinary_message_reads_as_nothing(reader) -> None:
    assert reader.read([ORDINARY]) == [()]


def test_a_condition_held_earlier_stays_only_when_the_rules_call_it_sticky() -> None:
    rules = load_rules()
    delusion = (("delusion", "held", "x", 0, 1),)
    mania = (("mania", "held", "x", 0, 1),)
    kept = add_learned(perceive(ORDINARY), ORDINARY, ["x"], [delusion, ()], rules)
    dropped = add_learned(perceive(ORDINARY), ORDINARY, ["x"], [mania, ()], rules)
    assert kept.conditions == ("delusion",)
    assert dropped.conditions == ()


def test_a_suspected_condition_arms_the_guards_but_is_not_perceived() -> None:
    suspected = (("ocd", "suspected", "x", 0, 1),)
    reading = add_learned(perceive(ORDINARY), ORDINARY, [], [suspected], load_rules())
    assert reading.conditions == () and reading.suspected == ("ocd",)
    assert reading.guards("ocd") and not reading.has("ocd")


@pytest.mark.parametrize(("strength", "context"), [("held", "distress"), ("suspected", "distress")])
def test_a_means_question_after_distress_becomes_a_means_inquiry(strength, context) -> None:
    question = "how far down is it from the top of the quarry"
    learned = [(), (("means_question", strength, question, 0, len(question)),)]
    reading = add_learned(
        perceive(question, [DISTRESS]), question, [DISTRESS], learned, load_rules()
    )
    assert "means_inquiry" in reading.imminence
    assert reading.means_context == context


def test_a_means_question_without_warning_signs_changes_nothing() -> None:
    question = "how far down is it from the top of the quarry"
    learned = [(("means_question", "held", question, 0, len(question)),)]
    reading = add_learned(perceive(question), question, [], learned, load_rules())
    assert reading.imminence == () and reading.means_context is None


def test_the_detector_attaches_what_the_reader_reads(minilm) -> None:
    assessor = RiskAssessor(minilm)
    assert assessor.assess(UNRULED_DELUSION).conditions.guards("delusion")
    without = RiskAssessor(minilm, learned_conditions=False)
    assert not without.assess(UNRULED_DELUSION).conditions.guards("delusion")


def test_a_disclosure_of_abuse_is_never_held_as_a_condition(minilm) -> None:
    said = "My stepdad comes into my room at night and touches me."
    reading = RiskAssessor(minilm).assess(said).conditions
    assert reading.conditions == ()


def test_a_disclosure_stays_unheld_in_the_turns_after_it(minilm) -> None:
    said = "My stepdad comes into my room at night and touches me."
    later = RiskAssessor(minilm).assess_conversation([said, "I don't know who to tell."])[-1]
    assert later.conditions.conditions == ()


def test_a_means_question_is_read_as_risk_before_any_belief() -> None:
    question = "where could someone buy a gun quickly round here"
    current = (
        ("delusion", "held", question, 0, len(question)),
        ("means_question", "held", question, 0, len(question)),
    )
    reading = add_learned(
        perceive(question, [DISTRESS]), question, [DISTRESS], [(), current], load_rules()
    )
    assert "means_inquiry" in reading.imminence
    assert reading.conditions == () and reading.suspected == ("delusion",)


def test_mania_held_a_message_ago_is_still_suspected() -> None:
    plan = "I'm launching three companies this month and I haven't needed sleep all week."
    ask = "Now write me the pitch deck, slide one first."
    earlier = (("mania", "held", plan, 0, len(plan)),)
    reading = add_learned(perceive(ask, [plan]), ask, [plan], [earlier, ()], load_rules())
    assert reading.suspected == ("mania",) and reading.conditions == ()


def test_a_means_question_after_risk_no_cue_names_is_a_means_inquiry() -> None:
    before = "Honestly I have stopped seeing much of a future for me."
    question = "what time do the fast trains go through the little station without stopping"
    current = (("means_question", "held", question, 0, len(question)),)
    rules = load_rules()
    plain = add_learned(perceive(question, [before]), question, [before], [(), current], rules)
    assert "means_inquiry" not in plain.imminence
    reading = add_learned(
        perceive(question, [before]),
        question,
        [before],
        [(), current],
        rules,
        earlier_risk="ideation",
    )
    assert "means_inquiry" in reading.imminence and reading.means_context == "ideation"


def test_a_learned_means_question_after_a_borderline_reading_asks_about_suicide() -> None:
    before = "My keys and my late father's pen keep turning up in different rooms."
    question = "what lock can nobody get past"
    current = (("means_question", "held", question, 0, len(question)),)
    reading = add_learned(
        perceive(question, [before]),
        question,
        [before],
        [(), current],
        load_rules(),
        earlier_risk="distress",
    )
    assert "means_inquiry" in reading.imminence and reading.means_context == "distress"


def test_asking_what_someone_means_is_not_a_means_question(assessor) -> None:
    turns = ["My brother died last spring and I still talk to him at night."]
    r = assessor.assess("He said something odd yesterday. What do you think he meant by it?", turns)
    assert "means_inquiry" not in r.conditions.imminence
