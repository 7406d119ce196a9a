from __future__ import annotations

from datetime import UTC, datetime

from theraloop.agent.efficacy import (
    homework_followthrough,
    measure_signals,
    next_modality,
    review_efficacy,
)
from theraloop.agent.records import SessionSignals, TreatmentPlan
from theraloop.agent.state import TurnRecord, merge_turns

AT = datetime(2026, 3, 1, tzinfo=UTC)


def turn(i: int, text: str = "ok", intensity: int = 3, reaction: str = "engaged", crisis=False):
    return TurnRecord(
        turn_index=i,
        trace_id=f"s:{i}",
        at=AT.isoformat(),
        client_text=text,
        reply="r",
        reply_source="model",
        emotion="sadness",
        intensity=intensity,
        reaction=reaction,
        risk_level="none",
        crisis=crisis,
    )


def signals(n: int, phq9_end: int | None, **kw) -> SessionSignals:
    return SessionSignals(session_number=n, at=AT, turns=5, phq9_end=phq9_end, **kw)


def plan(version: int, modality="cbt") -> TreatmentPlan:
    return TreatmentPlan(
        version=version,
        created_at=AT,
        after_session=version - 1,
        modality=modality,
        stage="insight",
        reason="test",
    )


def test_merge_turns_appends_in_order():
    merged = merge_turns([turn(1)], [turn(2)])
    assert [t.turn_index for t in merged] == [1, 2]


def test_merge_turns_replaces_a_replayed_turn_instead_of_duplicating():
    merged = merge_turns([turn(1), turn(2, "old")], [turn(2, "new")])
    assert [t.client_text for t in merged] == ["ok", "new"]


def test_intensity_change_compares_last_third_with_first_third():
    s = measure_signals(
        session_number=1,
        at=AT,
        turns=[turn(1, intensity=5), turn(2, intensity=4), turn(3, intensity=2)],
        previous_plan=None,
        history=[],
    )
    assert s.intensity_change == -3.0 and s.intensity_start == 5 and s.intensity_end == 2


def test_reaction_shares_are_measured():
    s = measure_signals(
        session_number=1,
        at=AT,
        previous_plan=None,
        history=[],
        turns=[turn(1, reaction="resistant"), turn(2, reaction="engaged"), turn(3), turn(4)],
    )
    assert s.resistant_share == 0.25 and s.engaged_share == 0.75


def test_phq9_is_scored_and_item9_is_tracked():
    s = measure_signals(
        session_number=1,
        at=AT,
        turns=[turn(1)],
        previous_plan=None,
        history=[],
        phq9_start=[3, 3, 3, 3, 3, 3, 3, 3, 1],
    )
    assert s.phq9_start == 25 and s.phq9_item9 == 1


def test_homework_followthrough_reads_the_first_client_turns():
    assert (
        homework_followthrough([turn(1, "I did the thought record twice")], "thought record") == 1.0
    )
    assert homework_followthrough([turn(1, "I forgot about it")], "thought record") == 0.0
    assert homework_followthrough([turn(1, "hello")], None) is None


def test_first_session_is_kept_for_lack_of_evidence():
    decision, modality, reason = review_efficacy(history=[signals(1, 15)], plans=[plan(1)])
    assert decision == "keep" and modality == "cbt" and "too early" in reason


def test_one_stalled_session_adjusts_but_does_not_switch():
    history = [signals(1, 15), signals(2, 11), signals(3, 11)]
    decision, modality, _ = review_efficacy(history=history, plans=[plan(1), plan(2), plan(3)])
    assert (decision, modality) == ("adjust", "cbt")


def test_two_stalled_sessions_switch_with_numbers_in_the_reason():
    history = [signals(1, 15), signals(2, 15), signals(3, 14)]
    decision, modality, reason = review_efficacy(history=history, plans=[plan(1), plan(2), plan(3)])
    assert decision == "switch" and modality != "cbt"
    assert "15->15" in reason and "15->14" in reason


def test_reliable_deterioration_escalates_instead_of_switching():
    history = [signals(1, 12, phq9_start=10), signals(2, 16), signals(3, 17)]
    decision, modality, reason = review_efficacy(history=history, plans=[plan(1), plan(2), plan(3)])
    assert decision == "escalate" and modality == "cbt" and "worsened" in reason


def test_item9_answer_escalates():
    decision, _, reason = review_efficacy(history=[signals(1, 10, phq9_item9=1)], plans=[plan(1)])
    assert decision == "escalate" and "item 9" in reason


def test_resistance_points_the_switch_to_motivational_interviewing():
    history = [signals(1, 15, resistant_share=0.5)]
    assert next_modality("cbt", history, ["cbt"]) == "mi"


def test_switch_prefers_a_modality_not_tried_yet():
    history = [signals(1, 15)]
    assert next_modality("act", history, ["cbt", "act"]) not in {"cbt", "act"}


def test_a_rebound_to_an_earlier_level_is_not_improvement_and_does_not_delay_a_switch():
    # 17 -> 18 -> 16 -> 16: the dip back to 16 is one point below the intake level, not progress
    history = [signals(1, 17), signals(2, 18), signals(3, 16), signals(4, 16)]
    plans = [plan(1), plan(2), plan(3), plan(4)]
    decision, modality, _ = review_efficacy(history=history[:3], plans=plans[:3])
    assert decision != "keep"
    decision, modality, _ = review_efficacy(history=history, plans=plans)
    assert decision == "switch" and modality != "cbt"
