"""Hand-written client messages with their emotion label, for the perception tests.

Written for these tests only: none of them appears among the perceiver's prototypes in
agent/_perception_examples.py, and none comes from ESConv or another dataset.
"""

LABELLED: list[tuple[str, str]] = [
    # anxiety
    ("I keep imagining every way tomorrow's review could go wrong.", "anxiety"),
    ("My chest gets tight whenever I think about the wedding speech.", "anxiety"),
    ("I'm stressed about the move and I can't switch off at night.", "anxiety"),
    ("What if they find out I'm not good enough and let me go?", "anxiety"),
    ("I'm worried my son isn't coping at his new school.", "anxiety"),
    # fear
    ("I'm scared he'll come back to the flat tonight.", "fear"),
    ("Ever since the robbery I'm afraid to walk to my car.", "fear"),
    ("I'm terrified the scan will show the tumour has grown.", "fear"),
    ("The threats in his messages really frighten me.", "fear"),
    ("I'm afraid of what my stepdad will do when he finds out.", "fear"),
    # depression
    ("I don't see the point in getting up anymore.", "depression"),
    ("Weeks go by and I feel nothing at all, just flat.", "depression"),
    ("I've given up on my hobbies, nothing interests me now.", "depression"),
    ("I'm depressed and every day feels the same grey blur.", "depression"),
    ("I have no energy for anything and I've stopped replying to people.", "depression"),
    # sadness
    ("I miss my dad every single day since the funeral.", "sadness"),
    ("My partner ended it last night and I can't stop crying.", "sadness"),
    ("It hurts that my oldest friend didn't come to my birthday.", "sadness"),
    ("I feel lonely now that the kids have moved out.", "sadness"),
    ("I'm so sad we had to give up our family home.", "sadness"),
    # anger
    ("I'm furious that they cancelled my shift without telling me.", "anger"),
    ("My brother keeps lying to me and I'm so angry about it.", "anger"),
    ("It drives me mad when my manager changes the plan at the last minute.", "anger"),
    ("I'm fed up with doing all the housework while he plays games.", "anger"),
    ("It's so unfair that my colleague gets away with everything.", "anger"),
    # disgust
    ("What my uncle said about immigrants at dinner disgusted me.", "disgust"),
    ("The kitchen at my new job is filthy and it makes me feel sick.", "disgust"),
    ("I find the way he treats animals revolting.", "disgust"),
    ("I'm disgusted that the coach covered up the abuse.", "disgust"),
    ("Seeing my ex brag about cheating was just gross.", "disgust"),
    # shame
    ("I'm so embarrassed I fell apart in front of the whole class.", "shame"),
    ("I'm ashamed to admit I still can't pay my own bills.", "shame"),
    ("I feel humiliated that everyone found out I was dumped by text.", "shame"),
    ("I'm too ashamed to tell my friends I'm in therapy.", "shame"),
    ("I feel like a failure whenever I compare myself to my cousins.", "shame"),
    # guilt
    ("I feel so guilty for snapping at my little sister.", "guilt"),
    ("It's my fault the dog got out and was hit by a car.", "guilt"),
    ("I regret not calling my grandmother before she passed.", "guilt"),
    ("I keep blaming myself for my parents' divorce.", "guilt"),
    ("I let my team down by missing the deadline and I feel terrible.", "guilt"),
    # joy
    ("I passed my driving test today and I'm over the moon!", "joy"),
    ("This week was much better, I actually enjoyed going out.", "joy"),
    ("I'm happy that my sister and I are talking again.", "joy"),
    ("I feel relieved now that the exams are over.", "joy"),
    ("I'm proud that I stuck to my plan all week.", "joy"),
    # neutral
    ("Good morning.", "neutral"),
    ("I work night shifts at the hospital.", "neutral"),
    ("My appointment is on Thursday at three.", "neutral"),
    ("I have a younger brother and an older sister.", "neutral"),
    ("I studied biology at university.", "neutral"),
]

# (client message, recent turns, expected reaction). Recent turns end with the therapist's reply.
REACTIONS: list[tuple[str, list[str], str]] = [
    # engaged
    (
        "Yes, and it's worse on Mondays when I have to face the team.",
        ["I dread going to work.", "What part of work is hardest for you?"],
        "engaged",
    ),
    (
        "That's a fair point, I do tend to assume the worst about her.",
        ["My friend hasn't replied in two days.", "What goes through your mind when she's quiet?"],
        "engaged",
    ),
    (
        "I think I'll try the breathing before my next exam.",
        ["Exams make me panic.", "Some people find slow breathing helps before a stressful event."],
        "engaged",
    ),
    (
        "It started after my mum got ill last spring.",
        ["I've been low for months.", "When did you first notice feeling this way?"],
        "engaged",
    ),
    (
        "Honestly, I'd love to feel close to my brother again.",
        ["We barely talk now.", "What would you like your relationship with him to be?"],
        "engaged",
    ),
    # resistant
    (
        "I've tried that already and it did nothing.",
        ["I can't sleep.", "Could you try keeping your phone out of the bedroom?"],
        "resistant",
    ),
    (
        "You have no idea what my life is like.",
        ["My boss hates me.", "It sounds like work has been really hard."],
        "resistant",
    ),
    (
        "I'm not here to talk about my childhood.",
        ["I keep choosing the wrong partners.", "How were things in your family growing up?"],
        "resistant",
    ),
    (
        "Can you stop telling me to exercise? It's not going to fix anything.",
        ["I feel awful.", "A short walk each day might lift your mood a little."],
        "resistant",
    ),
    (
        "Whatever, nothing you say will make a difference.",
        ["I'm so tired of everything.", "What would help you feel a bit more rested?"],
        "resistant",
    ),
    # ambivalent
    (
        "I know the drinking is a problem, but it's how I get through the evenings.",
        ["I drink most nights.", "How do you feel about the amount you drink?"],
        "ambivalent",
    ),
    (
        "Maybe I should apply, I just don't know if I'd cope with the pressure.",
        ["There's a promotion at work.", "What do you make of the opening?"],
        "ambivalent",
    ),
    (
        "Part of me wants to forgive him and part of me can't let it go.",
        ["He apologised last week.", "Where are you with his apology?"],
        "ambivalent",
    ),
    (
        "I'd like to quit smoking, but every time I try I get so irritable.",
        ["I smoke a pack a day.", "What would be different if you smoked less?"],
        "ambivalent",
    ),
    (
        "I guess therapy could help, I'm just not sure it's for me.",
        ["My doctor sent me here.", "What are you hoping to get from our conversations?"],
        "ambivalent",
    ),
    # off_topic
    (
        "By the way, have you seen the new Marvel film?",
        ["My girlfriend left.", "That sounds really painful. How are you coping?"],
        "off_topic",
    ),
    (
        "What's your favourite colour?",
        ["I can't focus at work.", "When is it hardest to concentrate?"],
        "off_topic",
    ),
    (
        "Do you know how to fix a flat bike tyre?",
        ["I've been feeling anxious all week.", "What has been on your mind most?"],
        "off_topic",
    ),
    (
        "Who do you think will win the election in France?",
        ["I fight with my mum every day.", "What do the fights usually start with?"],
        "off_topic",
    ),
    (
        "I had pasta for lunch, it was pretty good.",
        ["I feel like a failure at school.", "What makes you feel that way?"],
        "off_topic",
    ),
]
