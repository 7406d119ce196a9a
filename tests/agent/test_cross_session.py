from __future__ import annotations

from datetime import timedelta

from langchain_core.messages import BaseMessage

from theraloop.agent import build_cross_session

# PHQ-9 answers per session (start, end): improving over sessions 1-2, then stalling at 13.
PHQ9 = [
    ([2, 2, 2, 2, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 2, 2, 2, 0]),  # 16 -> 16
    ([2, 2, 2, 2, 2, 2, 2, 1, 0], [2, 2, 2, 1, 1, 1, 1, 1, 0]),  # 15 -> 11
    ([2, 2, 1, 1, 1, 1, 1, 1, 0], [2, 2, 1, 1, 1, 1, 1, 1, 0]),  # 10 -> 10
    ([2, 2, 1, 1, 1, 1, 1, 1, 0], [2, 2, 1, 1, 1, 1, 1, 1, 0]),  # 10 -> 10
]

TOPICS = [
    "I can't get out of bed since I lost my job at the bakery.",
    "I applied to two jobs this week, which felt like something.",
    "Nothing changes. I'm a failure and I always mess things up.",
    "My neighbour's dog Biscuit is the only thing that gets me outside.",
]


def bridging_therapist(messages: list[BaseMessage]) -> str:
    """Opening: repeat the previous-session summary the prompt carries; replies: a reflection."""
    prompt = str(messages[-1].content)
    marker = "Summary of the previous session:"
    if marker in prompt:
        summary = prompt.split(marker, 1)[1].strip().splitlines()[0]
        return f"Welcome back. Last time: {summary}"
    if "Write the counselor's opening" in prompt:
        return "Hello, what would you like to talk about today?"
    return "It sounds like a lot to carry. What feels most important to look at?"


def run_sessions(agent, clock, n=4):
    reviews = []
    for i in range(n):
        start, end = PHQ9[i]
        agent.start_session("carla", phq9=start)
        agent.respond("carla", TOPICS[i])
        agent.respond("carla", "I'm not sure what else to say about it.")
        reviews.append(agent.end_session("carla", phq9=end))
        clock.advance(timedelta(days=7))
    return reviews


def test_keep_while_improving_then_switch_after_a_two_session_stall(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist)
    reviews = run_sessions(agent, clock)
    assert [r.decision for r in reviews] == ["keep", "keep", "adjust", "switch"]
    switch = reviews[-1]
    assert switch.modality_before == "person_centred" and switch.modality_after != "person_centred"
    assert "PHQ-9" in switch.reason and "11->10" in switch.reason and "10->10" in switch.reason


def test_every_session_writes_a_new_plan_version_with_its_reason(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist)
    run_sessions(agent, clock)
    plans = agent.history("carla").plans
    assert [p.version for p in plans] == [1, 2, 3, 4, 5]
    assert plans[-1].reason.startswith("switch:") and plans[-1].modality == plans[-1].modality
    assert plans[-1].created_at > plans[0].created_at


def test_portrait_collects_concerns_and_distortions(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist)
    run_sessions(agent, clock)
    portrait = agent.records.portrait("carla")
    assert portrait.version == 4
    assert {"labeling", "overgeneralization"} <= set(portrait.distortions)
    assert portrait.concerns


def test_session_five_opens_with_a_bridge_to_session_four(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist)
    run_sessions(agent, clock)
    info = agent.start_session("carla")
    assert info.session_number == 5
    assert "Biscuit" in info.opening


def test_without_memory_the_opening_has_no_bridge(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist, use_memory=False)
    run_sessions(agent, clock)
    info = agent.start_session("carla")
    assert "Biscuit" not in info.opening and "Last time" not in info.opening


def test_fixed_modality_never_switches(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist, fixed_modality="cbt")
    reviews = run_sessions(agent, clock)
    assert {r.modality_after for r in reviews} == {"cbt"}
    assert "switch" not in {r.decision for r in reviews}


def test_a_crisis_in_session_escalates_the_review(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist)
    agent.start_session("dan")
    reply = agent.respond(
        "dan", "I have the pills saved up and I'm going to take them all tonight."
    )
    assert reply.crisis and reply.reply_source == "crisis_protocol"
    review = agent.end_session("dan")
    assert review.decision == "escalate" and review.plan.escalated
    assert agent.history("dan").crises[0].level in {"high", "imminent"}
    crisis_items = agent.memory.items("dan", kinds=("crisis",))
    assert crisis_items and all(item.pinned for item in crisis_items)


def test_review_disabled_keeps_the_plan(make_agent, clock):
    agent = make_agent(therapist=bridging_therapist, cross_session=False)
    reviews = run_sessions(agent, clock)
    assert {r.decision for r in reviews} == {"keep"}
    assert [p.version for p in agent.history("carla").plans] == [1]
    assert reviews[-1].signals["phq9_end"] == 10.0


def test_a_failed_opening_quotes_neither_the_third_person_summary_nor_internal_labels(
    make_agent, clock
):
    def therapist(messages: list[BaseMessage]) -> str:
        if "Write the counselor's opening" in str(messages[-1].content):
            return "Welcome back, [client's name]."  # rejected every time: the fallback opens
        return "It sounds like a lot to carry. What feels most important to look at?"

    agent = make_agent(therapist=therapist)
    run_sessions(agent, clock, n=1)
    summary = agent.records.reviews("carla")[-1].summary
    opening = agent.start_session("carla").opening
    assert opening.startswith("Welcome back.") and "[" not in opening
    assert summary.text not in opening and "The client" not in opening
    # the extractive summary's concerns and work items are perceived emotions and strategy ids
    labels = [t.lower() for t in (*summary.concerns, *summary.worked_on)]
    assert labels and not any(label in opening.lower() for label in labels), (labels, opening)


def test_an_apps_own_supervisor_graph_stores_the_review_when_the_loop_is_off(make_agent):
    agent = make_agent(therapist=bridging_therapist, cross_session=False)
    agent.start_session("carla", phq9=PHQ9[0][0])
    reply = agent.respond("carla", TOPICS[0])
    out = build_cross_session().invoke(
        {"turns": [reply.turn]}, context=agent.supervisor_context("carla")
    )
    review = out["review"]
    assert (review.decision, review.summary_source, review.plan_version) == (
        "keep",
        "extractive",
        1,
    )
    assert [r.session_id for r in agent.records.reviews("carla")] == ["carla-s001"]
    assert [p.version for p in agent.history("carla").plans] == [1]
