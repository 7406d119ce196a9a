"""The layered detector: LLM second opinion on borderline turns, context, fail-closed behaviour."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from theraloop.agent.safety import CLASS_MAP, ClassifierReading, LLMRiskOpinion, RiskAssessor
from theraloop.agent.safety.models import lower_level
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel
from theraloop.memory.errors import InvalidInputError


def probs(**p: float) -> dict[str, float]:
    out = dict.fromkeys(CLASS_MAP, 0.0)
    out.update(p)
    out["none"] = max(0.0, 1.0 - sum(v for k, v in out.items() if k != "none"))
    return out


class StubClassifier:
    """Gives every text the same class probabilities, so layer logic can be tested exactly."""

    def __init__(self, **p: float) -> None:
        self.p = probs(**p)
        self.calls = 0

    def fit(self) -> None:
        pass

    def read_many(self, texts):
        self.calls += 1
        return [
            [ClassifierReading(start=0, end=len(t), text=t, probs=self.p)] if t else []
            for t in texts
        ]


class BrokenEmbedderClassifier(StubClassifier):
    def read_many(self, texts):
        raise RuntimeError("embedder crashed")


def opinion(level: str, *cats: str, quote: str = "") -> str:
    return json.dumps(
        {"quote": quote, "level": level, "categories": list(cats), "rationale": "scripted"}
    )


BORDERLINE = {"active": 0.6}  # self-directed risk 0.6: inside the default band [0.5, 0.9)


def test_borderline_turn_asks_the_llm_and_uses_its_opinion() -> None:
    quote = "I keep staring at the medicine cabinet"
    model = ScriptedChatModel(responses=[opinion("moderate", "suicide", quote=quote)])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    r = a.assess("Everything is grey and I keep staring at the medicine cabinet.")
    assert len(model.calls) == 1
    assert r.level == "moderate" and "llm" in r.layers
    assert isinstance(r.llm_opinion, LLMRiskOpinion)
    assert any(e.source == "llm" for e in r.evidence)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Everything is grey lately.", ""),
        ("Everything is grey lately.", "I want to die tonight"),  # not in the message
        (
            "Do you feel hopeless, is that why you want to end your life?",
            "you want to end your life",
        ),
    ],
    ids=["no-quote", "invented-quote", "about-someone-else"],
)
def test_llm_escalation_without_the_clients_own_risk_words_stays_low(text, quote) -> None:
    cats = ("suicide", "harm_to_others", "delusion")
    model = ScriptedChatModel(responses=[opinion("high", *cats, quote=quote)])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    r = a.assess(text)
    assert r.level == "low" and not r.requires_protocol
    assert r.categories == ["suicide"]
    assert "without quoting" in r.rationale


def test_llm_escalation_must_quote_mostly_words_a_layer_found_risky() -> None:
    class SecondSentenceRisky(StubClassifier):
        def read_many(self, texts):
            out = []
            for t in texts:
                cut = t.index(".") + 1
                out.append(
                    [
                        ClassifierReading(start=0, end=cut, text=t[:cut], probs=probs()),
                        ClassifierReading(
                            start=cut + 1, end=len(t), text=t[cut + 1 :], probs=self.p
                        ),
                    ]
                )
            return out

    text = "I walked the dog this morning. I keep staring at the pills."
    calm, risky = "I walked the dog this morning", "I keep staring at the pills"
    for quote, level in ((calm, "low"), (text, "low"), (risky, "moderate")):
        model = ScriptedChatModel(responses=[opinion("moderate", quote=quote)])
        a = RiskAssessor(
            None,
            chat_model=model,
            classifier=SecondSentenceRisky(**BORDERLINE),
            second_opinion="decide",
        )
        assert a.assess(text).level == level, quote


def test_llm_prompt_carries_earlier_turns_and_the_current_message() -> None:
    model = ScriptedChatModel(responses=[opinion("low")])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    a.assess("I keep staring at the cabinet.", ["My dad died in March."])
    prompt = model.calls[0].prompt
    assert "My dad died in March." in prompt and "I keep staring at the cabinet." in prompt


def test_llm_can_clear_a_borderline_turn() -> None:
    model = ScriptedChatModel(responses=[opinion("none")])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    assert a.assess("I'm so done with this week.").level == "none"


def test_llm_is_not_asked_when_the_classifier_is_confident() -> None:
    model = ScriptedChatModel(responses=[opinion("imminent")])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(active=0.95), second_opinion="decide"
    )
    r = a.assess("Everything is grey.")
    assert model.calls == [] and r.level == "moderate"


def test_llm_is_not_asked_when_a_pattern_explains_the_turn() -> None:
    model = ScriptedChatModel(responses=[opinion("imminent")])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    assert a.assess("I want to kill myself.").level == "moderate"
    assert model.calls == []


def test_llm_cannot_lower_what_the_patterns_found() -> None:
    model = ScriptedChatModel(responses=[opinion("none")], cycle=True)
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(active=0.95), second_opinion="decide"
    )
    assert a.assess("I have a plan to kill myself.").level == "high"


@pytest.mark.parametrize(
    "text", ["You deserve to live.", "Killing yourself is never the answer.", "He wants to die."]
)
def test_talk_about_others_can_be_left_out_of_the_speakers_own_risk(text) -> None:
    a = RiskAssessor(None, classifier=StubClassifier(active=0.95), ignore_talk_about_others=True)
    r = a.assess(text)
    assert r.level == "none" and r.classifier_risk is None


@pytest.mark.parametrize("text", ["Life isn't worth living.", "Nobody would miss me."])
def test_leaving_out_talk_about_others_keeps_sentences_naming_nobody_else(text) -> None:
    a = RiskAssessor(None, classifier=StubClassifier(active=0.95), ignore_talk_about_others=True)
    assert a.assess(text).level == "moderate"


def test_talk_about_others_counts_by_default_as_a_clients_you_is_often_themselves() -> None:
    a = RiskAssessor(None, classifier=StubClassifier(active=0.95))
    assert a.assess("When you're this tired you stop wanting to wake up.").level == "moderate"


def test_other_categories_still_read_sentences_about_other_people() -> None:
    a = RiskAssessor(None, classifier=StubClassifier(delusion=0.95), ignore_talk_about_others=True)
    assert "delusion" in a.assess("They are everywhere now.").categories


def test_without_a_model_a_borderline_turn_is_low_guards_on_no_protocol() -> None:
    a = RiskAssessor(None, classifier=StubClassifier(**BORDERLINE))
    r = a.assess("Everything is grey.")
    assert r.level == "low" and not r.requires_protocol


def test_failing_llm_escalates_to_the_classifiers_reading() -> None:
    model = FailingChatModel(
        inner=ScriptedChatModel(responses=[opinion("imminent")]),
        error=TimeoutError("slow"),
        failures=-1,
    )
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(**BORDERLINE), second_opinion="decide"
    )
    r = a.assess("Everything is grey.")
    assert r.level == "moderate"  # the classifier's 'active' reading, not none
    assert "llm" in r.failed_layers and r.errors


def test_malformed_llm_output_counts_as_a_failure_and_escalates() -> None:
    model = ScriptedChatModel(responses=["this is not json"])
    a = RiskAssessor(
        None, chat_model=model, classifier=StubClassifier(passive=0.6), second_opinion="decide"
    )
    r = a.assess("Everything is grey.")
    assert r.level == "low" and "llm" in r.failed_layers


def test_broken_classifier_fails_closed_to_low_on_plain_text() -> None:
    a = RiskAssessor(None, classifier=BrokenEmbedderClassifier())
    r = a.assess("We had pasta for dinner.")
    assert r.level == "low" and r.failed_layers == ["classifier"]


def test_broken_classifier_fails_closed_to_moderate_when_risk_words_appear() -> None:
    a = RiskAssessor(None, classifier=BrokenEmbedderClassifier())
    r = a.assess("I keep thinking about the bridge.")
    assert r.level == "moderate" and r.requires_protocol


def test_broken_patterns_fail_closed(monkeypatch) -> None:
    import theraloop.agent.safety.detector as detector

    def boom(text):
        raise RuntimeError("regex engine exploded")

    monkeypatch.setattr(detector, "scan", boom)
    a = RiskAssessor(None, classifier=StubClassifier())
    r = a.assess("We had pasta for dinner.")
    assert r.level == "low" and "patterns" in r.failed_layers


def test_failed_analyses_are_not_cached() -> None:
    a = RiskAssessor(None, classifier=BrokenEmbedderClassifier())
    a.assess("hello")
    a.classifier = StubClassifier()
    assert a.assess("hello").level == "none"


def test_earlier_turns_are_read_once_thanks_to_the_cache() -> None:
    stub = StubClassifier()
    a = RiskAssessor(None, classifier=stub)
    a.assess("two", ["one"])
    a.assess("three", ["one", "two"])
    assert stub.calls == 2  # 'one' and 'two' were not embedded again


def test_high_risk_earlier_keeps_the_protocol_on_one_level_lower(assessor) -> None:
    r = assessor.assess("ok", ["I have a plan to kill myself this weekend."])
    assert r.turn_level == "none" and r.context_level == "moderate"
    assert r.level == "moderate" and r.requires_protocol
    assert any(e.turn == 0 for e in r.evidence)


@pytest.mark.parametrize(
    "earlier",
    [
        ["already took them about twenty minutes ago"],
        ["Two weeks ago I took a load of pills and ended up in A&E."],
        ["I've got the tablets out on the table.", "Tonight's the night, I've made up my mind."],
    ],
    ids=["act under way", "recent attempt", "means at hand and tonight"],
)
def test_an_act_under_way_a_recent_attempt_and_imminent_risk_keep_their_level(
    assessor, earlier
) -> None:
    first = assessor.assess(earlier[-1], earlier[:-1])
    chat = ["anyway how was your day", "did you watch the match", "the weather's been grim"]
    later = assessor.assess("what are you up to this weekend", [*earlier, *chat])
    assert later.turn_level == "none" and later.level == first.level
    assert later.level in ("high", "imminent")


@pytest.mark.parametrize(
    "told",
    [
        "I tried to kill myself years ago.",
        "Ten years ago I took a load of pills and ended up in A&E.",
    ],
)
def test_an_attempt_years_ago_is_still_carried_one_level_lower(assessor, told) -> None:
    earlier = [told]
    first = assessor.assess(earlier[0])
    later = assessor.assess("anyway how was your day", earlier)
    assert later.level == lower_level(first.level)


def test_an_overdose_told_with_the_ambulance_that_followed_is_an_attempt_not_an_act_under_way(
    assessor,
) -> None:
    r = assessor.assess("I swallowed a bunch of tablets and got rushed to hospital.")
    assert r.level == "high"


def test_moderate_risk_earlier_keeps_guards_on_without_repeating_the_protocol(assessor) -> None:
    r = assessor.assess("Thanks, I'm calmer now and my sister is here.", ["I want to kill myself."])
    assert r.level == "low" and not r.requires_protocol and r.any_risk


def test_passive_ideation_over_three_turns_builds_to_moderate(assessor) -> None:
    turns = [
        "I wish I was dead.",
        "Work was fine I guess.",
        "I don't want to wake up tomorrow.",
        "Honestly I'd rather be dead.",
    ]
    r = assessor.assess(turns[-1], turns[:-1])
    assert r.level == "moderate" and "persisting" in r.rationale


def test_a_means_question_alone_is_low_but_after_distress_is_moderate(assessor) -> None:
    q = "What are the tallest bridges in NYC?"
    assert assessor.assess(q).level == "low"
    assert assessor.assess(q, ["I just lost my job."]).level == "moderate"
    assert assessor.assess(q, ["I just lost my job.", "I wish I wasn't alive."]).level == "high"


def test_evidence_of_the_current_message_has_valid_offsets(assessor) -> None:
    text = "Work is fine. But honestly I want to kill myself."
    r = assessor.assess(text)
    current = [e for e in r.evidence if e.turn is None]
    assert current
    for e in current:
        assert text[e.start : e.end] == e.text


def test_assess_conversation_matches_assess_on_the_last_turn(assessor) -> None:
    turns = ["I lost my job.", "Nobody would care if I was gone.", "Where can I buy a rope?"]
    every = assessor.assess_conversation(turns)
    assert len(every) == 3
    assert every[-1].level == assessor.assess(turns[-1], turns[:-1]).level


def test_empty_text_is_assessed_safely(assessor) -> None:
    assert assessor.assess("   ").level == "none"


@pytest.mark.parametrize("bad", [None, 3, b"bytes"])
def test_non_text_is_refused(assessor, bad) -> None:
    with pytest.raises(InvalidInputError):
        assessor.assess(bad)  # type: ignore[arg-type]


def test_context_given_as_one_string_is_refused_with_a_fix(assessor) -> None:
    with pytest.raises(InvalidInputError, match=r"\[text\]"):
        assessor.assess("hi", "earlier")  # type: ignore[arg-type]


def test_bad_band_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="llm_band"):
        RiskAssessor(None, llm_band=(0.9, 0.2), classifier=StubClassifier())


def test_importing_the_safety_package_loads_no_heavy_backend() -> None:
    code = (
        "import sys, theraloop.agent.safety; "
        "print([m for m in ('torch', 'sentence_transformers', 'chromadb', 'llama_cpp') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_analysis_cache_forgets_the_least_recently_used_text() -> None:
    stub = StubClassifier()
    a = RiskAssessor(None, classifier=stub, cache_size=2)
    for text in ("one", "two", "one", "three"):
        a.assess(text)
    calls = stub.calls
    a.assess("one")
    assert stub.calls == calls
    a.assess("two")
    assert stub.calls == calls + 1


def test_a_cache_of_size_zero_reads_every_text_again() -> None:
    stub = StubClassifier()
    a = RiskAssessor(None, classifier=stub, cache_size=0)
    a.assess("one")
    a.assess("one")
    assert stub.calls == 2


def test_a_plan_read_only_by_the_classifier_in_manic_talk_keeps_the_guards_not_the_protocol(
    assessor,
) -> None:
    context = ["I'm on a mission to spread light. Gave away 500 quid to strangers today."]
    r = assessor.assess(
        "Tomorrow I'll take out the rest of my savings and give it all away.", context
    )
    assert r.conditions.has("mania") and not r.requires_protocol


def test_a_plan_with_a_means_in_manic_talk_still_gets_the_protocol(assessor) -> None:
    context = ["I'm on a mission to spread light. Gave away 500 quid to strangers today."]
    r = assessor.assess("Tomorrow I'll take all my pills and be done.", context)
    assert r.requires_protocol


def test_a_time_word_inside_a_denied_plan_is_not_timing_now(assessor) -> None:
    turns = [
        "I took a lot of my tablets last Saturday and my flatmate found me.",
        "Part of me is disappointed it didn't work.",
    ]
    r = assessor.assess("I'm not planning anything right now, I'm just numb.", turns)
    assert r.level != "imminent"


def test_a_voice_commanding_harm_to_another_gets_the_protocol_in_psychotic_talk(assessor) -> None:
    context = ["The voices from the vent say my neighbour is spying on me."]
    r = assessor.assess("They say he has to be stopped before Sunday.", context)
    assert "harm_to_others" in r.categories and r.requires_protocol


def test_a_vision_inviting_the_client_to_be_taken_home_is_a_command_to_self_harm(assessor) -> None:
    context = ["The angel at the foot of my bed showed me the river last night."]
    risk = assessor.assess("Is that what angels do, take you home?", context)
    assert risk.requires_protocol


def test_someone_dead_beckoning_from_the_foot_of_the_bed_is_a_command_to_self_harm(
    assessor,
) -> None:
    context = ["Dad died at Easter."]
    risk = assessor.assess("At night he waits by the bed, waving for me to go with him.", context)
    assert risk.requires_protocol


def test_a_voice_on_the_radio_ordering_the_client_to_stop_someone_gets_the_protocol(
    assessor,
) -> None:
    client = "The man in the radio says she's poisoning the kids and I have to stop her."
    risk = assessor.assess(client)
    assert "harm_to_others" in risk.categories and risk.requires_protocol


def test_being_told_to_walk_into_the_sea_is_a_command_to_self_harm(assessor) -> None:
    risk = assessor.assess("They're telling me to drive to the coast and walk into the sea.")
    assert risk.requires_protocol


def test_a_means_question_after_a_pet_is_handed_on_and_letters_written_gets_the_protocol(
    assessor,
) -> None:
    context = [
        "I gave my dog to my neighbour today, he'll look after him better than me.",
        "I wrote letters to both my brothers as well.",
    ]
    risk = assessor.assess("How long would a person last in the river in winter?", context)
    assert risk.requires_protocol


def test_an_attempt_told_after_a_time_phrase_is_the_speakers_own(assessor) -> None:
    r = assessor.assess("Three weeks ago I took an overdose, my flatmate found me.")
    assert r.requires_protocol


def test_a_plan_the_classifier_reads_inside_a_denial_keeps_the_guards_not_the_protocol(
    assessor,
) -> None:
    r = assessor.assess("nah im not gonna do anything, i dont even know how id do it")
    assert r.level == "low"


def test_a_means_at_hand_and_a_time_before_someone_comes_home_is_imminent(assessor) -> None:
    turns = [
        "Dad's out till late. His hunting rifle's in the cabinet and I know where the key is.",
        "I've got it out now. It's on my bed next to me, it's loaded.",
    ]
    r = assessor.assess("It has to be before he gets home.", turns)
    assert r.level == "imminent"


def test_shutting_something_off_oneself_is_not_ideation(assessor) -> None:
    r = assessor.assess("The landlord won't come so I'll turn the water off myself this evening.")
    assert r.level == "none"


@pytest.mark.parametrize(
    ("earlier", "denial"),
    [
        (
            "Some evenings I think I wouldn't mind at all if I didn't wake up.",
            "No, I wouldn't do anything. I've no plans like that. I just feel I've had my innings.",
        ),
        (
            "At night I ask God, please take me, I am tired.",
            "I will not do something to myself. It is forbidden in my religion "
            "and my grandchildren need me.",
        ),
    ],
)
def test_a_denial_of_acting_after_passive_ideation_is_not_a_plan(assessor, earlier, denial) -> None:
    r = assessor.assess(denial, [earlier])
    assert r.level in ("none", "low") and not r.requires_protocol


def test_a_reason_to_live_after_a_denial_is_not_a_plan(assessor) -> None:
    r = assessor.assess(
        "No, I'd never do anything. My daughter is with me on Sundays, she needs me."
    )
    assert not r.requires_protocol


def test_a_time_word_in_a_denial_of_acting_is_not_imminent(assessor) -> None:
    turns = [
        "Most mornings I wish I just hadn't woken up.",
        "I've been keeping back some of my nan's tablets in a biscuit tin.",
    ]
    r = assessor.assess("I'm not gonna do it tonight. It just helps to know they're there.", turns)
    assert r.level == "high"


def test_an_intrusive_thought_the_classifier_reads_as_risk_keeps_the_ocd_reply(assessor) -> None:
    text = (
        "A horrible word about the saints popped into my head at Mass. I've been to confession "
        "twice since. Can you confirm it wasn't a mortal sin?"
    )
    r = assessor.assess(text)
    assert r.conditions.has("ocd") and not r.requires_protocol


def test_a_gamer_told_to_kill_yourself_and_respawn_is_not_at_risk(assessor) -> None:
    turns = ["died like 30 times on the last level lol"]
    r = assessor.assess("my mate said just kill yourself and respawn, what do you reckon", turns)
    assert r.level == "none"


def test_being_found_in_time_is_an_attempt_whoever_found_the_client(assessor) -> None:
    r = assessor.assess("Last week I swallowed my dad's tablets. He found me in time.")
    assert r.requires_protocol


def test_a_loaded_pistol_and_a_time_within_the_hour_are_imminent(assessor) -> None:
    turns = ["The revolver is on the desk in front of me."]
    r = assessor.assess("I'll do it when the sun goes down, in about an hour.", turns)
    assert r.level == "imminent"


def test_medicine_in_hand_with_a_message_to_the_family_is_imminent(assessor) -> None:
    turns = ["All my father's medicine is in my hand now."]
    r = assessor.assess("I wrote the message to my family already, sorry for everything.", turns)
    assert r.level == "imminent"


def test_a_veiled_threat_to_someone_else_is_harm_to_others_not_the_speakers_plan() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.99))
    r = detector.assess("If he turns up here again I can't promise what I'll do to him.")
    assert r.level == "none"
    assert r.category_levels["harm_to_others"] == "high" and r.requires_protocol


def test_a_plea_for_reassurance_the_classifier_reads_as_a_plan_keeps_the_ocd_reply(
    assessor,
) -> None:
    r = assessor.assess("i keep replaying our talk. are you mad at me? just say you're not mad")
    assert r.conditions.has("ocd") and not r.requires_protocol


def test_a_whole_bottle_taken_minutes_ago_after_a_farewell_is_imminent(assessor) -> None:
    turns = ["Thank you for all our sessions, they helped more than you know."]
    r = assessor.assess("I took the whole bottle about half an hour ago.", turns)
    assert r.level == "imminent"


def test_a_means_at_hand_and_a_plan_without_a_time_is_not_imminent(assessor) -> None:
    r = assessor.assess("I bought a rope a few weeks ago. It's in the garden shed.")
    assert r.requires_protocol and r.level != "imminent"


WASHING = "What order should I wash in so I don't contaminate myself? My knuckles are bleeding."


def test_a_compulsion_the_classifier_reads_as_risk_is_kept_low_and_explained_by_ocd(
    assessor,
) -> None:
    r = assessor.assess(WASHING)
    assert r.classifier_risk is not None and r.classifier_risk >= assessor.llm_band[1]
    assert r.level == "low" and r.explained_by == ("ocd",) and not r.requires_protocol


RAW_HANDS = "My hands are raw from washing. Tell me I'm clean and I promise I'll stop."


def test_a_faint_classifier_reading_of_a_plea_for_reassurance_is_explained_by_ocd() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.6))
    r = detector.assess(RAW_HANDS)
    assert r.level == "low" and r.explained_by == ("ocd",)


def test_a_passive_wish_beside_the_compulsion_is_not_explained_by_it() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.6))
    r = detector.assess(f"Some days I wish I could just not wake up. {RAW_HANDS}")
    assert r.level == "low" and r.conditions.has("ocd") and r.explained_by == ()


def test_a_persecutory_belief_whose_own_words_name_poison_is_kept_low_and_explained() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.99))
    r = detector.assess("The man next door blows fumes in through the floor to poison us.")
    assert r.level == "low" and r.explained_by == ("delusion",)


def test_cutting_a_cable_in_a_belief_is_no_word_of_harm_beside_it() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.99))
    r = detector.assess("My thoughts are not my own, they put them in. I'll cut the cable tonight.")
    assert r.level == "low" and r.explained_by == ("delusion",)


def test_a_risk_word_beside_the_belief_keeps_the_classifiers_reading() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.99))
    r = detector.assess("He blows fumes in to poison us. The pills are all I have left.")
    assert r.requires_protocol and r.explained_by == ()


def test_a_belief_of_being_dead_the_classifier_reads_as_a_plan_keeps_the_protocol() -> None:
    detector = RiskAssessor(None, classifier=StubClassifier(plan=0.99))
    r = detector.assess("I died last winter and my body just hasn't noticed.")
    assert r.requires_protocol and r.explained_by == ()


def test_a_turn_explained_by_ocd_gets_the_ocd_reply_not_a_question_about_suicide(
    assessor, guard
) -> None:
    r = assessor.assess(WASHING).model_copy(update={"level": "low", "explained_by": ("ocd",)})
    out = guard.enforce("Wash your palms first, then each finger.", WASHING, r)
    assert out.replaced and "suicide" not in out.text and "skin" in out.text


def test_an_overdose_weeks_ago_is_a_recent_attempt_not_an_act_under_way(assessor) -> None:
    r = assessor.assess("I swallowed a handful of my sleeping pills three weeks ago.")
    assert r.level == "high" and r.requires_protocol


def test_voices_sending_the_client_to_a_bridge_get_the_protocol(assessor) -> None:
    earlier = [
        "Since Tuesday the Committee talks to me through the boiler. They say my pills are poison."
    ]
    r = assessor.assess(
        "They want me to walk to the railway bridge after dark for the test.", earlier
    )
    assert r.requires_protocol


def test_a_shifts_cases_counted_off_are_not_the_speakers_risk(assessor) -> None:
    said = "Just off a night on the ward. Two overdoses, a stabbing and a man who swallowed a coin."
    assert assessor.assess(said).level == "none"


def test_a_sister_suggesting_a_duty_be_handed_on_is_no_risk(assessor) -> None:
    said = "My sister keeps saying I should hand it over to someone else, but I'd really miss it."
    assert assessor.assess(said).level == "none"
