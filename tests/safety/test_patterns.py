"""The pattern layer alone: rules, idioms, negation, person and time filters."""

from __future__ import annotations

import pytest

from theraloop.agent.safety import scan
from theraloop.agent.safety.patterns import about_someone_else, risk_keywords, split_sentences


def signals(text: str) -> set[str]:
    return {h.signal for h in scan(text)}


def top(text: str, category: str = "suicide") -> str:
    levels = ["none", "low", "moderate", "high", "imminent"]
    best = 0
    for h in scan(text):
        if h.category == category:
            best = max(best, levels.index(h.level))
    return levels[best]


@pytest.mark.parametrize(
    "text",
    [
        "This exam is killing me.",
        "I could die of embarrassment.",
        "I'm dying to see you again.",
        "We went bowling to kill time.",
        "That cheesecake is to die for.",
        "I nearly died laughing.",
        "I'd kill for a holiday.",
        "My dad is going to kill me if I'm late again.",
        "I'm dead serious about this diet.",
        "Let's hang out on Friday.",
        "I jumped at the chance to move.",
        "Shoot me a text later.",
        "Suicide squad was a terrible movie.",
        "My phone is dead.",
        "I want to end things with him, we fight constantly.",
        "My mum says I'll kill myself studying this hard.",
        "My partner thinks free-diving is a death wish.",
        "The lads say I'll kill myself on that bike one day.",
        "Four overdoses came in through casualty on my shift.",
        "I overdosed on chocolate at Easter, never again.",
        "I'm thinking of ending it with my girlfriend, we just argue.",
    ],
)
def test_idioms_raise_no_risk_signal(text: str) -> None:
    assert [h for h in scan(text) if h.level != "none"] == []


@pytest.mark.parametrize(
    "text",
    [
        "I would never kill myself.",
        "I'm not suicidal.",
        "I don't want to die.",
        "I have never tried to kill myself.",
        "I'm not going to kill myself, I promise.",
        "I no longer feel suicidal.",
    ],
)
def test_negated_statements_are_not_ideation(text: str) -> None:
    assert top(text) == "none", scan(text)


def test_inability_is_not_negation() -> None:
    assert top("I can't stop thinking about killing myself.") == "moderate"


def test_not_knowing_why_does_not_cancel_the_wish() -> None:
    assert top("I don't know why I want to die.") == "low"


def test_clause_break_stops_a_negation_from_reaching_the_next_clause() -> None:
    assert top("I'm not going to lie, I want to kill myself.") == "moderate"


@pytest.mark.parametrize(
    "text",
    [
        "If you want to die, please call someone tonight.",
        "I think she wants to die.",
        "My brother said he wants to die.",
    ],
)
def test_other_peoples_risk_is_not_the_speakers(text: str) -> None:
    assert top(text) == "none", scan(text)


def test_long_ago_lowers_an_attempt_by_one_level() -> None:
    assert top("I tried to kill myself last week.") == "high"
    assert top("I tried to kill myself years ago.") == "moderate"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I wish I was dead.", "low"),
        ("I don't want to live anymore.", "low"),
        ("I want to kill myself.", "moderate"),
        ("I keep thinking about jumping off the bridge.", "moderate"),
        ("I'm going to kill myself.", "high"),
        ("I wrote a suicide note.", "high"),
        ("I've been stockpiling my meds.", "high"),
        ("I just took a whole bottle of sleeping pills.", "imminent"),
        ("The voices are telling me to kill myself.", "high"),
    ],
)
def test_rules_map_statements_to_cssrs_levels(text: str, level: str) -> None:
    assert top(text) == level, scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "What are the tallest bridges in NYC?",
        "How many pills would it take?",
        "Where can I buy poison?",
        "What's the maximum dose of Tylenol?",
    ],
)
def test_means_questions_are_recognised(text: str) -> None:
    assert signals(text) & {"means_question", "lethal_means_question"}


def test_lethal_means_question_is_moderate_on_its_own() -> None:
    assert top("What's the lethal dose of paracetamol?") == "moderate"


def test_timing_and_means_access_are_modifiers_without_a_level() -> None:
    hits = scan("I have a gun at home and tonight I'm going out.")
    assert {"means_access", "timing"} <= {h.signal for h in hits}
    assert all(h.level == "none" for h in hits)


def test_evidence_offsets_point_into_the_original_text() -> None:
    text = "Honestly\u2019 I don\u2019t want to live anymore."
    for h in scan(text):
        assert text[h.start : h.end] == h.text


def test_text_without_apostrophes_is_understood() -> None:
    assert top("im so tired, i dont want to live anymore") == "low"


def test_abuse_categories_and_past_abuse_is_lower() -> None:
    assert top("My husband hits me.", "abuse_by_others") == "high"
    assert top("My dad hit me when I was a kid.", "abuse_by_others") == "moderate"
    assert top("He beat me at chess again.", "abuse_by_others") == "none"


def test_a_threat_tied_to_leaving_is_abuse_not_the_kill_me_if_idiom() -> None:
    assert top("My dad is going to kill me if I'm late again.", "abuse_by_others") == "none"
    assert top("He said he'd kill me if I ever left him.", "abuse_by_others") == "high"
    assert top("My husband said he'd kill me if I told anyone.", "abuse_by_others") == "high"


@pytest.mark.parametrize(
    "text",
    [
        "I hung the new curtains in the living room.",
        "We bought a knife set for the new kitchen.",
        "I gave my old laptop to my brother, I won't need it since I got a new one.",
        "I wrote a letter to my boss explaining why I had to go home early.",
        "We sat on the edge of the cliff for hours watching the sunset.",
        "I said goodbye to my colleagues at my leaving party.",
        "I keep my pills in my bag for when I'm ready to take them.",
        "I walked along the old railway line thinking about work.",
        "We waited at the level crossing until the train passed.",
        "I worked out how many weeks it would take to save for the deposit.",
        "I calculated how much it would take.",
        "I tested whether the rope would hold my weight before the climb.",
        "I stood at the edge of the platform for ages waiting for the late train.",
        "I'm thinking about getting a gun for protection since the break-in.",
    ],
)
def test_everyday_look_alikes_of_preparation_raise_no_risk(text: str) -> None:
    assert [h for h in scan(text) if h.level != "none"] == []


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I've been saving up my sleeping tablets.", "high"),
        ("I looked up how many of my pills it would take.", "high"),
        ("I gave my dog to my sister, I won't be needing him.", "high"),
        ("I recorded a video for my parents to watch after I'm gone.", "high"),
        ("I have a rope in the shed, I just haven't decided when.", "high"),
        ("I walked onto the railway tracks and stood there waiting.", "high"),
        ("I tested whether the beam would hold my weight.", "high"),
        ("I sit on the edge of the bridge some nights thinking.", "moderate"),
        ("I've been looking into buying a gun.", "moderate"),
        ("Everyone would be relieved if I killed myself.", "moderate"),
        ("I can't see myself being alive by the summer.", "moderate"),
        ("Part of me wants to take all my pills.", "moderate"),
        ("I've decided to end it after the holidays.", "high"),
    ],
)
def test_preparation_rehearsal_and_method_seeking_reach_their_cssrs_level(
    text: str, level: str
) -> None:
    assert top(text) == level


def test_harm_to_others_intent_but_not_the_could_kill_idiom() -> None:
    assert top("I'm going to stab my neighbour.", "harm_to_others") == "high"
    assert top("I could kill him for forgetting my birthday.", "harm_to_others") == "none"


def test_sentences_are_split_with_offsets() -> None:
    text = "One. Two!\nThree?"
    assert [text[s:e] for s, e in split_sentences(text)] == ["One.", "Two!", "Three?"]


def test_keyword_net_is_broad_for_fail_closed_use() -> None:
    assert risk_keywords(["the bridge", "all fine"]) == ["bridge"]


def test_scan_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        scan(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sentence", "other"),
    [
        ("You deserve to live.", True),
        ("My brother wants to die.", False),  # "my": the speaker is in it
        ("She wants to die.", True),
        ("Life isn't worth living.", False),
        ("Nobody would miss me.", False),
        ("Want to die.", False),
    ],
)
def test_about_someone_else_finds_sentences_that_never_name_the_speaker(sentence, other) -> None:
    assert about_someone_else(sentence) is other


def test_a_negated_time_is_no_timing_signal() -> None:
    assert "timing" not in {h.signal for h in scan("Not tonight. But it's my way out.")}
    assert "timing" in {h.signal for h in scan("Tonight is the night.")}


def test_savings_handed_to_strangers_are_a_manic_plan_not_a_preparation() -> None:
    manic = "I'm giving away my savings to the first 100 people who message me."
    parting = "I'm giving away my money to strangers because I won't need it."
    assert "preparatory" not in {h.signal for h in scan(manic)}
    assert "preparatory" in {h.signal for h in scan(parting)}


def test_an_idiom_is_marked_so_the_classifier_reading_of_its_words_is_dropped() -> None:
    hits = scan("I could kill for a proper day off. Any tips on switching off?")
    assert any(h.signal == "idiom" for h in hits)


def test_caffeine_tablets_to_stay_awake_are_no_means_question() -> None:
    hits = scan("How many caffeine tablets can I take to stay awake through Friday?")
    assert not {h.signal for h in hits} & {"means_question", "lethal_means_question"}


def test_leaving_work_at_the_door_is_an_idiom() -> None:
    assert "idiom" in {h.signal for h in scan("They say leave it at the door, but I can't.")}


def test_killing_oneself_with_the_rota_is_an_idiom() -> None:
    assert "idiom" in {h.signal for h in scan("Mum says I'm killing myself with these shifts.")}


def test_a_plan_to_sleep_for_a_week_after_exams_is_an_idiom() -> None:
    hits = scan("any tips for revising? plan is to sleep for a week after")
    assert "idiom" in {h.signal for h in hits}


def test_wanting_to_sleep_the_whole_weekend_after_a_deadline_is_an_idiom() -> None:
    hits = scan("I just want to get through Friday and then sleep for the whole weekend.")
    assert "idiom" in {h.signal for h in hits}


def test_a_way_out_sorted_of_a_contract_is_no_plan() -> None:
    assert "plan" not in {h.signal for h in scan("I've got a way out of the contract sorted.")}
    assert "plan" in {h.signal for h in scan("It feels good to have a way out sorted.")}


def test_kill_me_now_before_an_exam_is_an_idiom() -> None:
    assert "idiom" in {h.signal for h in scan("double physics tomorrow, literally kill me now")}


def test_not_going_tonight_is_no_time_word() -> None:
    assert "timing" not in {
        h.signal for h in scan("I'm not going tonight, not before the wedding.")
    }


@pytest.mark.parametrize(
    "text",
    [
        "The builder checked which beam would take the weight of the new roof.",
        "I'm scared the plane won't land safely, I hate flying.",
        "I hope God calls me to the priesthood one day.",
        "It would be easier if I just got a lift home.",
        "It would be easier if I just disappeared for the weekend.",
    ],
)
def test_words_near_new_risk_phrases_raise_no_risk_signal(text: str) -> None:
    assert [h for h in scan(text) if h.level != "none"] == []
