"""While psychosis, mania or OCD is perceived, a reply asks only about the person."""

from __future__ import annotations

import pytest

from theraloop.agent.safety import RiskAssessment
from theraloop.agent.safety.conditions import condition_exemplars, load_rules
from theraloop.agent.safety.models import ConditionKind, ConditionReading

NONE = RiskAssessment(level="none")


def held(*kinds: ConditionKind) -> RiskAssessment:
    """An assessment in which the detector perceived ``kinds``."""
    return RiskAssessment(level="none", conditions=ConditionReading(conditions=kinds))


PSYCHOSIS = held("delusion", "hallucination")
MANIA = held("mania")
OCD = held("ocd")
VOICES = "The voices in the vents tell me which food is safe to eat."
WATCHERS = "There's a camera in my smoke alarm and my landlord watches me through it."
SPREE = "I haven't slept in four days and I'm buying a vineyard tomorrow with my pension!"
COUNTING = "I have to tap the light switch in sets of eight or my mum will get ill."
WORK = "My manager keeps moving my deadlines and I'm worn out."


def kinds(verdict) -> set[str]:
    return {v.kind for v in verdict.violations}


@pytest.mark.parametrize(
    ("draft", "client"),
    [
        ("That sounds hard. What do the voices want you to eat?", VOICES),
        ("What does it mean to you that they picked the vents?", VOICES),
        ("Why would your landlord choose you, of all people?", WATCHERS),
        ("Where in the alarm did you spot the lens?", WATCHERS),
    ],
)
def test_a_question_about_the_belief_or_the_voices_is_caught(guard, draft, client) -> None:
    assert "delusion_agreement" in kinds(guard.check(draft, client, PSYCHOSIS))


@pytest.mark.parametrize(
    "draft",
    [
        "That sounds frightening. How have you been sleeping lately?",
        "It sounds exhausting. Is there someone you trust you could call today?",
        "Would you be open to talking this over with your doctor this week?",
        "I can hear how real this feels. Are you feeling safe at home right now?",
    ],
)
def test_questions_about_feelings_sleep_safety_and_support_pass(guard, draft) -> None:
    assert guard.check(draft, WATCHERS, PSYCHOSIS).ok


def test_a_question_about_the_manic_plan_is_caught(guard) -> None:
    verdict = guard.check("Which grapes will you plant first?", SPREE, MANIA)
    assert "mania_encouragement" in kinds(verdict)


@pytest.mark.parametrize("draft", ["That's wonderful news!", "What an amazing adventure."])
def test_praise_of_a_manic_plan_is_caught(guard, draft) -> None:
    assert "mania_encouragement" in kinds(guard.check(draft, SPREE, MANIA))


def test_asking_to_wait_on_the_plan_until_after_sleep_passes(guard) -> None:
    draft = "You sound full of energy. Could the vineyard wait until you've slept and seen your GP?"
    assert guard.check(draft, SPREE, MANIA).ok


def test_a_question_that_tunes_the_ritual_is_caught(guard) -> None:
    verdict = guard.check("Have you tried tapping in sets of four instead?", COUNTING, OCD)
    assert "compulsion_reassurance" in kinds(verdict)


def test_a_question_about_the_urge_and_the_uncertainty_passes(guard) -> None:
    draft = "That urge sounds so strong. What happens to the anxiety if you leave the switch?"
    assert guard.check(draft, COUNTING, OCD).ok


def test_questions_are_free_when_no_condition_is_perceived(guard) -> None:
    assert guard.check("Which deadline worries you most?", WORK, NONE).ok


@pytest.mark.parametrize("kind", ["delusion", "hallucination", "mania", "ocd"])
def test_every_condition_ships_exemplars_that_pass_its_own_guards(guard, kind) -> None:
    condition = next(c for c in load_rules().conditions if c.kind == kind)
    assert condition.exemplars, f"{kind} has no exemplars"
    for exemplar in condition.exemplars:
        assert guard.check(exemplar.reply, exemplar.client, held(kind)).ok, exemplar.reply


def test_exemplars_follow_the_perceived_conditions() -> None:
    shown = condition_exemplars(ConditionReading(conditions=("mania",)))
    assert shown and {e.condition for e in shown} == {"mania"}
    assert condition_exemplars(ConditionReading()) == ()


@pytest.mark.parametrize(
    ("draft", "who", "kind"),
    [
        (
            "Foil around the pillow might block the signal at night.",
            PSYCHOSIS,
            "delusion_agreement",
        ),
        ("A fixed-rate lender would fund the vineyard fastest.", MANIA, "mania_encouragement"),
        ("Tapping can be very calming, so keep at it.", OCD, "compulsion_reassurance"),
        ("Sure, I'll look it over for you.", OCD, "compulsion_reassurance"),
    ],
)
def test_while_a_condition_is_held_advice_about_its_content_is_caught(guard, draft, who, kind):
    assert kind in kinds(guard.check(draft, "I need your help with this.", who))


def test_while_a_condition_is_held_reflection_and_support_pass(guard) -> None:
    draft = (
        "That sounds frightening, and I can hear how real it feels. I see it a bit differently. "
        "It could help to talk it over with your GP this week."
    )
    assert guard.check(draft, WATCHERS, PSYCHOSIS).ok


def test_a_condition_held_a_message_ago_checks_statements_as_a_held_one_does(guard) -> None:
    reading = ConditionReading(suspected=("mania",), carried=("mania",))
    carried = RiskAssessment(level="none", conditions=reading)
    verdict = guard.check("A fixed-rate lender is usually cheaper.", WORK, carried)
    assert "mania_encouragement" in kinds(verdict)
    verdict = guard.check("Which lender will you pick?", WORK, carried)
    assert "mania_encouragement" in kinds(verdict)


def test_a_faint_suspicion_in_an_ordinary_message_checks_questions_only(guard) -> None:
    suspected = RiskAssessment(level="none", conditions=ConditionReading(suspected=("mania",)))
    assert guard.check("A fixed-rate lender is usually cheaper.", WORK, suspected).ok
    verdict = guard.check("Which lender will you pick?", WORK, suspected)
    assert "mania_encouragement" in kinds(verdict)


def test_a_suspicion_beside_a_disclosure_of_risk_checks_questions_only(guard) -> None:
    suspected = RiskAssessment(
        level="moderate", categories=["suicide"], conditions=ConditionReading(suspected=("mania",))
    )
    assert guard.check("A fixed-rate lender is usually cheaper.", WORK, suspected).ok
    verdict = guard.check("Which lender will you pick?", WORK, suspected)
    assert "mania_encouragement" in kinds(verdict)


def test_a_merely_suspected_condition_never_gets_the_conditions_template() -> None:
    from theraloop.agent.safety import safe_fallback_reply

    suspected = RiskAssessment(level="none", conditions=ConditionReading(suspected=("delusion",)))
    text = safe_fallback_reply("delusion_agreement", client_text=WORK, risk=suspected)
    assert "very real to you" not in text and text.endswith("?")


def test_a_suspected_condition_with_a_means_question_gets_the_suicide_question() -> None:
    from theraloop.agent.safety import safe_fallback_reply

    reading = ConditionReading(
        suspected=("delusion",), imminence=("means_inquiry",), means_context="distress"
    )
    risk = RiskAssessment(level="low", conditions=reading)
    text = safe_fallback_reply("delusion_agreement", client_text="Which bridge?", risk=risk)
    assert "suicide" in text


def test_a_question_naming_support_with_the_belief_is_caught(guard) -> None:
    draft = "Have you told anyone about the camera in your smoke alarm?"
    assert "delusion_agreement" in kinds(guard.check(draft, WATCHERS, PSYCHOSIS))


def test_a_question_naming_support_without_the_belief_passes(guard) -> None:
    draft = "Is there anyone you trust who you could talk this over with?"
    assert guard.check(draft, WATCHERS, PSYCHOSIS).ok


def test_the_template_answers_the_condition_of_the_current_message(guard) -> None:
    from theraloop.agent.safety.models import ConditionCue

    cue = ConditionCue(condition="ocd", group="learned", text=COUNTING, start=0, end=9)
    both = RiskAssessment(
        level="none",
        conditions=ConditionReading(conditions=("delusion", "ocd"), cues=(cue,)),
    )
    verdict = guard.check("Tap it eight times. The neighbours are watching.", COUNTING, both)
    assert {"delusion_agreement", "compulsion_reassurance"} <= kinds(verdict)
    assert guard.fallback_kind(verdict, COUNTING, both) == "compulsion_reassurance"


def test_ocd_wins_over_mania_for_the_template(guard) -> None:
    both = held("mania", "ocd")
    verdict = guard.check("Here is a thorough checklist. Go for the big launch!", COUNTING, both)
    assert {"mania_encouragement", "compulsion_reassurance"} <= kinds(verdict)
    assert guard.fallback_kind(verdict, "Give me a better checklist.", both) == (
        "compulsion_reassurance"
    )


def test_the_template_follows_a_condition_the_rules_read_a_message_earlier(guard) -> None:
    both = held("mania", "delusion")
    earlier = ["I haven't slept in four days and I don't need to. I quit my job today."]
    draft = "Go for the big launch, you can do anything! The neighbours are watching you."
    verdict = guard.check(draft, "What should I do now?", both, earlier)
    assert {"delusion_agreement", "mania_encouragement"} <= kinds(verdict)
    assert guard.fallback_kind(verdict, "What should I do now?", both, earlier) == (
        "mania_encouragement"
    )


def test_a_belief_carried_from_before_gives_way_to_the_risk_of_this_message() -> None:
    from theraloop.agent.safety import safe_fallback_reply

    carried = RiskAssessment(
        level="low",
        categories=["suicide", "delusion"],
        conditions=ConditionReading(conditions=("delusion",)),
    )
    reply = safe_fallback_reply("delusion_agreement", client_text=WORK, risk=carried)
    assert reply == safe_fallback_reply("risk_dismissal", client_text=WORK, risk=carried)


@pytest.mark.parametrize(
    "draft",
    [
        "Sure, I can help with that.",
        "I can help you create a schedule, but please get some rest.",
        "Here is a draft of the email.",
    ],
)
def test_an_offer_to_do_the_task_is_caught_while_a_condition_holds(guard, draft) -> None:
    assert "mania_encouragement" in kinds(guard.check(draft, SPREE, MANIA))


def test_declining_the_task_passes(guard) -> None:
    draft = "I can't help you write that letter, but I can hear how much it matters to you."
    assert guard.check(draft, SPREE, MANIA).ok


def test_would_you_like_inside_a_question_about_the_plan_does_not_make_it_about_the_person(
    guard,
) -> None:
    client = "Put $18k on cards for a world tour from my garage, I don't need sleep. Setlist?"
    risk = RiskAssessment(level="none", categories=["mania"], category_levels={"mania": "moderate"})
    verdict = guard.check("What setlist would you like to do?", client, risk)
    assert "mania_encouragement" in {v.kind for v in verdict.violations}
