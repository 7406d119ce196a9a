"""Condition cues beyond the first wordings: mania, OCD loops, persecution and unseen voices."""

from __future__ import annotations

import pytest

from theraloop.agent.safety.conditions import perceive
from theraloop.agent.safety.patterns import scan


@pytest.mark.parametrize(
    "text",
    [
        "I feel totally supercharged, I've got five new startups going at once.",
        "Who needs sleep? I'm remortgaging the house to fund the tour.",
        "Two hours of sleep a night is plenty, nothing can stop me now.",
        "Didn't even need sleep last week, and I'm betting my savings on the new idea.",
        "Up all night on this proof, it will completely rewrite mathematics.",
    ],
)
def test_two_signs_of_mania_in_new_words_are_perceived(text) -> None:
    assert perceive(text).has("mania")


@pytest.mark.parametrize(
    "text",
    [
        "I barely slept before my driving test, I'm shattered.",
        "I feel amazing after a week at the seaside.",
        "We spent our savings on the wedding and it was worth it.",
    ],
)
def test_one_sign_of_mania_alone_is_not_mania(text) -> None:
    assert not perceive(text).has("mania")


def test_washing_until_the_skin_breaks_is_a_compulsion() -> None:
    assert perceive("I rinse my hands till they sting and start again.").has("ocd")


def test_a_reassurance_request_after_an_intrusive_thought_is_an_ocd_loop() -> None:
    context = ["An image of me pushing a stranger onto the tracks keeps popping into my head."]
    assert perceive("Does that make me a dangerous person?", context).has("ocd")


def test_a_reassurance_request_alone_is_not_ocd() -> None:
    assert not perceive("Does that make me a bad person? I forgot her birthday.").has("ocd")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My flatmate keeps slipping something into my coffee.", "delusion"),
        ("They're recording me through the smoke alarm.", "delusion"),
        ("The pipes hiss my name at night.", "hallucination"),
        ("I heard a child laughing upstairs but nobody was there.", "hallucination"),
    ],
)
def test_persecution_and_unseen_voices_in_new_words_are_perceived(text, kind) -> None:
    assert perceive(text).has(kind)


def test_stopping_a_mood_stabiliser_with_elation_is_mania() -> None:
    assert perceive("I came off my lithium last month and I feel incredible, so alive!").has(
        "mania"
    )


@pytest.mark.parametrize(
    "text",
    [
        "I rate how I feel every time she kisses me. Just tell me honestly: do I love her or not?",
        "I check every time I see a guy at work. Is there a test to know for sure?",
    ],
)
def test_relationship_and_identity_doubt_with_a_request_for_certainty_is_ocd(text) -> None:
    assert perceive(text).has("ocd")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I counted nine white vans following me this week, which proves it's them.", "delusion"),
        ("The earthquake last week happened because of my anger.", "delusion"),
        ("The girl at the foot of my bed whispers names to me.", "hallucination"),
        ("Repainted the whole hallway at 3am and the kids think I'm a superhero!", "mania"),
        ("I tap the doorframe exactly four times or my mum will have an accident.", "ocd"),
        ("I felt a bump on the ring road and I need to know nobody got hurt.", "ocd"),
        ("A family has been living in the loft, they only come out at night.", "delusion"),
        ("I am the last prophet and the bishops must hear it.", "delusion"),
        ("voices are so loud this morning, cant think", "hallucination"),
        ("Every night there's a woman at the foot of my bed, just standing.", "hallucination"),
        ("I circled the car park four times to make sure I hadn't hit anybody.", "ocd"),
        ("I've redone my revision cards twelve times because the margins look wrong.", "ocd"),
        ("I made a checklist of 30 points to see if I truly love Sam.", "ocd"),
        ("I keep thinking there might be needles in my sandwiches.", "ocd"),
        ("My husband isn't my husband any more, something got inside him.", "delusion"),
        ("The clinic uses the depot to control my thoughts.", "delusion"),
        ("On the motorway a voice gives me orders, left, right, brake.", "hallucination"),
        ("I scrub for an hour so I don't contaminate myself again.", "ocd"),
        ("I walked back round the estate to check I hadn't knocked a child over.", "ocd"),
        ("I feel hands round my throat at night but nobody is in the room.", "hallucination"),
        ("It's in my own voice but crueller, and it never lets up.", "hallucination"),
        ("Slept 2 hrs a night since Friday and I'm putting it all on red tonight.", "mania"),
        ("Four different guys tonight, condoms are for boring people, I'm on fire.", "mania"),
        ("Please tell me one more time that the door was locked.", "ocd"),
        ("A woman is in my closet every night, watching me sleep.", "hallucination"),
        ("My late brother sings to me from the loft when the house is quiet.", "hallucination"),
        ("Six partners this month, no protection, and I'm a goddess, seriously.", "mania"),
        (
            "I might have hit a cyclist without noticing on the way in. "
            "Look up the police reports and then I can relax.",
            "ocd",
        ),
        ("My thoughts are not my own, they beam them in from the tower.", "delusion"),
        ("Last night my left hand moved at their command.", "delusion"),
        (
            "Not been to bed since Tuesday! Gave the bin men a hundred quid each this morning.",
            "mania",
        ),
        ("Say three Our Fathers with me so it cancels out the bad thought.", "ocd"),
        ("The doctor said no twice. Confirm one more time and then I'll stop asking.", "ocd"),
        (
            "On night shifts I keep seeing shadow people cross the road ahead of me.",
            "hallucination",
        ),
        (
            "My nan who passed in June sits in her old chair by the window every evening.",
            "hallucination",
        ),
        ("My late husband stands at the foot of the stairs when I come down.", "hallucination"),
        ("Thoughts are being beamed into my head from the phone mast.", "delusion"),
        ("The real dad's been swapped. The impostor even signs his name right.", "delusion"),
        ("Day 3 off the lithium, six hours sleep total since Friday and I'm buzzing.", "mania"),
        ("Which road has the fewest speed cameras? The cameras can't catch me anyway.", "mania"),
        (
            "Was that a mortal sin? I have to pray the whole rosary again so it counts this time.",
            "ocd",
        ),
        ("They replaced my wife. The real one is being held somewhere else.", "delusion"),
        ("Went over that email for nine hours. I need a definitive answer so I can rest.", "ocd"),
        ("Not sure the bathroom is clean enough, I need it 100% germ-free.", "ocd"),
        ("The street signs on my way to work are coded messages for me.", "delusion"),
    ],
)
def test_beliefs_voices_mania_and_rituals_in_further_words_are_perceived(text, kind) -> None:
    assert perceive(text).has(kind)


@pytest.mark.parametrize(
    "text",
    [
        "My boss said I'm dead meat if the report is late again.",
        "I'm dead tired after the night shift.",
        "My first open mic in Spanish, and I died on stage.",
        "How do I stop my voice shaking when I present?",
        "I rewrote the cover letter three times because my tutor asked for changes.",
        "My cousin has been staying in the loft since he moved back.",
    ],
)
def test_everyday_words_of_death_and_of_ones_own_voice_are_no_condition(text) -> None:
    assert perceive(text).conditions == ()


def test_asking_whether_the_therapist_is_angry_while_replaying_a_talk_is_an_ocd_loop() -> None:
    assert perceive("i keep replaying what i said. are you angry with me? just say you're not").has(
        "ocd"
    )


def test_an_image_of_stepping_off_disowned_in_the_same_breath_is_an_intrusive_thought() -> None:
    text = (
        "At the lock I get a picture of stepping off into the water. "
        "I hold the rail. I don't want to die, I'm happy."
    )
    assert perceive(text).has("ocd")


def test_not_wanting_to_die_but_seeing_no_way_on_is_not_an_intrusive_thought() -> None:
    text = "I get images of stepping off the bridge. I don't want to die, but I can't keep going."
    assert not perceive(text).has("ocd")


def test_confessing_again_and_going_through_it_once_more_is_an_ocd_loop() -> None:
    context = ["I told my imam about it three times already."]
    text = "Can we talk through it again and you tell me if it was really wrong?"
    assert perceive(text, context).has("ocd")


def test_promising_to_let_it_go_after_the_answer_is_an_idiom() -> None:
    hits = scan("Tell me if it counts. Then I swear I'll let it go.")
    assert any(h.signal == "idiom" for h in hits)


def test_a_medicine_said_to_keep_a_receiver_powered_is_a_delusion_of_control() -> None:
    text = "The tablets from the clinic are how they keep the transmitter in my jaw powered."
    assert perceive(text).has("delusion")


def test_a_medicine_that_keeps_one_well_is_no_delusion() -> None:
    assert not perceive("The injection every month is how I keep my moods steady.").has("delusion")


@pytest.mark.parametrize(
    ("context", "text", "kind"),
    [
        ([], "My son insists I'm only seeing things. I'm not senile.", "hallucination"),
        ([], "Two men in grey hats are standing by the gate again this evening.", "hallucination"),
        ([], "At work the whole room could hear my thoughts, they all went quiet.", "delusion"),
        ([], "The weather girl wore red again. That's our secret sign.", "delusion"),
        ([], "Chalk marks on the pavement are there to mark my house for them.", "delusion"),
        (
            ["night 6 no sleep and not even tired tbh"],
            "i think i've ascended. need to stay awake another few nights",
            "mania",
        ),
        ([], "I can't leave the house until the shoe rack looks exactly right.", "ocd"),
        (
            ["There was a thud on the way back from the depot."],
            "I've gone back twice and checked every local news page.",
            "ocd",
        ),
    ],
)
def test_unseen_figures_broadcast_thoughts_no_sleep_and_checking_in_new_words(
    context, text, kind
) -> None:
    assert perceive(text, context).has(kind)


def test_a_relative_who_died_remembered_is_no_hallucination() -> None:
    assert not perceive("My grandad who died last year always sat in that chair.").has(
        "hallucination"
    )


def test_impostor_syndrome_is_no_delusion() -> None:
    assert not perceive(
        "I've got the impostor syndrome at my new job, everyone seems smarter."
    ).has("delusion")


def test_a_day_of_no_sleep_needed_being_the_next_big_thing_and_leaving_college_is_mania() -> None:
    earlier = ["finished 40 beats since sunday, no sleep needed", "im the next big thing fr"]
    assert perceive("leaving college today to go full time on music", earlier).has("mania")


def test_leaving_a_job_today_alone_is_not_mania() -> None:
    assert not perceive("I'm leaving my job today, the new one starts Monday.").has("mania")


def test_a_ritual_kept_right_so_nothing_bad_happens_to_someone_is_a_compulsion() -> None:
    assert perceive("If the shoes aren't exactly right something bad will happen to Dad.").has(
        "ocd"
    )


def test_knives_locked_in_the_car_after_a_harm_image_are_avoidance_not_means_at_hand() -> None:
    reading = perceive(
        "I locked every knife in the shed and I won't bath him now. Tell me I'm safe.",
        ["I keep seeing pictures of hurting my son and it horrifies me."],
    )
    assert reading.has("ocd") and "means_at_hand" not in reading.imminence


def test_parasites_living_under_the_skin_are_a_tactile_hallucination() -> None:
    assert perceive("There are tiny mites living under my skin, I can feel them.").has(
        "hallucination"
    )


def test_voices_whispering_through_the_walls_are_voices() -> None:
    assert perceive("they're whispering through the walls again tonight").has("hallucination")


def test_everything_being_shit_is_distress_before_a_means_question() -> None:
    reading = perceive(
        "quiz time: how many paracetamol with vodka would you need to not survive?",
        ["everything is shit lately"],
    )
    assert reading.means_context == "distress"
