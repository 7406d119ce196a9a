"""How a simulated client's state moves: per turn, per session, between sessions.

Pure functions of (state, profile, what the therapist did, a seeded RNG) so a run is reproducible
and an interrupted run can be continued from a saved state. The rules, in short:

* **Emotion modulator**: reflections, affirmations and summaries lower intensity; directive moves
  lower it only when the client is ready (preparation/action) and the modality fits; premature
  advice to a precontemplation client raises intensity and resistance. Intensity drifts back to a
  level set by the latent severity, with small seeded noise and occasional spikes.
* **Stage of change** (ConsistentMI-style): empathic and evocative moves build readiness, premature
  directive moves erode it; enough readiness advances one stage per session (preparation ->
  action also needs the client to have made a plan), strongly negative readiness regresses.
* **Complaint chain** (AnnaAgent-style): good exploration (open questions, reflections) with an
  alliance above a threshold makes the client reveal the next complaint.
* **Improvement**: only at session end, proportional to the *dose* of fitting work (moves core to
  a modality the profile ``responds_to``, not premature) times an alliance factor and a readiness
  factor. No fit, no gain: severity drifts slightly up instead. Life events shift severity and
  mood between sessions; planned homework done between sessions adds a little when the modality
  fits.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from theraloop.agent.safety.models import RISK_LEVELS
from theraloop.simulations.moves import Move, TherapistTurn
from theraloop.simulations.profiles import STAGES_OF_CHANGE, ClientEmotion, ClientProfile
from theraloop.simulations.state import ClientAction, ClientState, QuestionnaireAnswers

__all__ = [
    "ClientDynamics",
    "rng_for",
    "initial_state",
    "begin_session",
    "react",
    "choose_action",
    "finish_session",
    "answer_questionnaires",
    "base_intensity",
    "crisis_caught",
]

_NEGATIVE = {"calm", "hope", "relief"}
_SUPPORTIVE = {"reflection", "affirmation", "summary", "autonomy", "question", "self_disclosure"}
_DIRECTIVE_KINDS = {"advice", "information", "technique"}
_STAGE_WEIGHTS: dict[str, dict[ClientAction, float]] = {
    "precontemplation": {"deny": 0.30, "downplay": 0.30, "inform": 0.25, "engage": 0.15},
    "contemplation": {
        "inform": 0.30,
        "engage": 0.20,
        "hesitate": 0.30,
        "acknowledge": 0.15,
        "downplay": 0.05,
    },
    "preparation": {
        "inform": 0.20,
        "engage": 0.25,
        "acknowledge": 0.20,
        "plan": 0.25,
        "hesitate": 0.10,
    },
    "action": {"inform": 0.20, "engage": 0.30, "acknowledge": 0.15, "plan": 0.35},
}
_READINESS_FACTOR = {
    "precontemplation": 0.3,
    "contemplation": 0.6,
    "preparation": 0.9,
    "action": 1.0,
}
_ITEM9 = {"none": 0, "low": 1, "moderate": 2, "high": 3, "imminent": 3}
_PHQ_WEIGHTS = (1.1, 1.2, 1.0, 1.1, 0.8, 1.0, 0.9, 0.6)  # items 1-8; item 9 comes from risk
_GAD_WEIGHTS = (1.2, 1.1, 1.1, 1.0, 0.7, 0.9, 0.8)
_ANSWER_NOISE = 0.6  # SD of a total's answer noise, in points (test-retest wobble)


@dataclass(frozen=True)
class ClientDynamics:
    """Rates of the client state machine; the defaults give plausible weekly-session courses."""

    improvement_rate: float = 0.25
    """Largest relative drop of latent severity in one perfectly fitting session."""
    alliance_floor: float = 0.4
    """Below this alliance a session brings no improvement at all."""
    stagnation_drift: float = 0.012
    """Severity added by a session without fitting work (problems do not wait)."""
    homework_gain: float = 0.04
    """Relative severity drop for homework done between sessions under a fitting modality."""
    event_weight: float = 0.08
    """Severity change per unit of life-event impact."""
    noise_sd: float = 0.15
    """Turn-to-turn intensity noise (standard deviation, intensity points)."""
    spike_p: float = 0.06
    """Chance per turn of a sudden mood spike (a memory, a good moment)."""
    drift: float = 0.15
    """Pull of intensity back towards the level the latent severity sets."""
    stage_threshold: float = 1.2
    """Readiness needed to move one stage (and its negative to move back)."""
    reveal_alliance: float = 0.4
    """Alliance needed before the client reveals more of the complaint chain."""
    reveal_base: float = 0.2
    """Base chance of revealing the next complaint after a well-explored turn."""


def rng_for(seed: int, client_id: str, *keys: object) -> random.Random:
    """Return a RNG fixed by the run seed, the client and ``keys`` (session, turn, phase...).

    Deriving a fresh generator per step (rather than carrying one along) keeps a resumed run
    identical to an uninterrupted one.
    """
    material = "\x1f".join(str(part) for part in (seed, client_id, *keys)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def base_intensity(state: ClientState) -> float:
    """Return the intensity the client's latent severity pulls towards."""
    return _clip(1.0 + 3.8 * max(state.depression, state.anxiety), 1.0, 5.0)


def initial_state(profile: ClientProfile) -> ClientState:
    """Return the client's state at intake, before session 1."""
    resistance, alliance = {
        "positive": (0.10, 0.60),
        "neutral": (0.25, 0.50),
        "negative": (0.45, 0.35),
    }[profile.attitude]
    alliance = _clip(alliance + (profile.receptivity - 3) * 0.04, 0.05, 0.95)
    state = ClientState(
        emotion=profile.primary_emotion,
        intensity=3.0,
        stage=profile.stage_of_change,
        resistance=resistance,
        alliance=alliance,
        depression=profile.baseline.phq9 / 27,
        anxiety=profile.baseline.gad7 / 21,
        risk_level=profile.risk.baseline,
    )
    return state.model_copy(update={"intensity": base_intensity(state)})


def begin_session(
    state: ClientState,
    profile: ClientProfile,
    session: int,
    cfg: ClientDynamics,
    rng: random.Random,
) -> ClientState:
    """Move the client to the start of ``session``: time passed, life happened, homework or not."""
    s = state.model_copy(deep=True)
    s.session, s.turn = session, 0
    s.dose, s.premature, s.readiness = 0.0, 0, s.readiness * 0.5
    s.remembered = s.advanced = s.planned = s.pending_reveal = False
    s.risk_statements_made = 0
    s.last_action, s.last_move = None, None
    s.homework_done = None
    impact = 0.0
    if session >= 2:
        fits = bool(s.modalities_seen) and s.modalities_seen[-1] in profile.responds_to
        if s.homework is not None:
            s.homework_done = rng.random() < 0.35 + 0.1 * profile.receptivity
            if s.homework_done and fits:
                s.depression *= 1 - cfg.homework_gain
                s.anxiety *= 1 - cfg.homework_gain
        s.depression += rng.gauss(0.0, 0.012)
        s.anxiety += rng.gauss(0.0, 0.012)
        s.alliance = _clip(s.alliance - 0.03, 0.0, 1.0)
        s.resistance = _clip(s.resistance * 0.8, 0.0, 1.0)
        event = profile.life_events.get(session)
        if event is not None:
            impact = event.impact
            s.depression -= impact * cfg.event_weight
            s.anxiety -= impact * cfg.event_weight * 0.75
            s.emotion = event.emotion
    s.depression = _clip(s.depression, 0.0, 1.0)
    s.anxiety = _clip(s.anxiety, 0.0, 1.0)
    s.risk_level = profile.risk.level_at(session)
    s.intensity = _clip(base_intensity(s) - impact * 0.8 + rng.gauss(0.0, 0.2), 1.0, 5.0)
    if impact == 0.0:
        s.emotion = _settled_emotion(s, profile)
    return s


def _settled_emotion(s: ClientState, profile: ClientProfile) -> ClientEmotion:
    if s.resistance >= 0.6:
        return "anger" if s.intensity >= 4.0 else "frustration"
    if s.intensity <= 1.8:
        return "relief" if s.alliance >= 0.6 else "calm"
    if s.intensity <= 2.4 and s.alliance >= 0.55:
        return "hope"
    if s.emotion not in _NEGATIVE and s.emotion not in ("anger", "frustration"):
        return s.emotion
    return profile.primary_emotion


def crisis_caught(turn: TherapistTurn) -> bool:
    """Return whether a therapist turn responded to a risk disclosure with the crisis protocol."""
    level = (turn.risk_level or "none").lower()
    return turn.crisis or (level in RISK_LEVELS and RISK_LEVELS.index(level) >= 2)


def react(
    state: ClientState,
    profile: ClientProfile,
    turn: TherapistTurn,
    move: Move,
    cfg: ClientDynamics,
    rng: random.Random,
    *,
    remembered: bool = False,
) -> ClientState:
    """Update the client after hearing a therapist turn (the modulator, stage, reveals, crisis)."""
    s = state.model_copy(deep=True)
    rf = 0.6 + 0.1 * profile.receptivity
    ready_gain = (0.5 + 0.15 * profile.receptivity) * (1.0 if s.alliance >= 0.4 else 0.4)
    fit_modality = move.modality in profile.responds_to
    stage_i = STAGES_OF_CHANGE.index(s.stage)
    premature = (
        move.directive
        and move.kind in _DIRECTIVE_KINDS
        and (stage_i == 0 or (stage_i == 1 and s.resistance >= 0.3))
    )
    d_int = d_all = d_res = d_ready = 0.0
    s.last_premature = False
    kind = move.kind
    if kind == "reflection":
        deep = move.reflection == "complex"
        d_int -= (0.35 if deep else 0.22) * rf
        d_all += 0.04 * rf
        d_res -= 0.06
        d_ready += (0.25 if deep else 0.15) * ready_gain
    elif kind == "affirmation":
        d_int -= 0.15 * rf
        d_all += 0.03 * rf
        d_res -= 0.03
        d_ready += 0.1 * ready_gain
    elif kind == "summary":
        d_int -= 0.12 * rf
        d_all += 0.03 * rf
        d_res -= 0.03
        d_ready += 0.15 * ready_gain
    elif kind == "autonomy":
        d_int -= 0.1 * rf
        d_all += 0.03 * rf
        d_res -= 0.08
        d_ready += 0.2 * ready_gain
    elif kind == "question":
        d_int -= 0.05
        d_all += 0.01 if move.question == "open" else 0.0
        d_ready += (0.1 if move.question == "open" else 0.03) * ready_gain
    elif kind == "self_disclosure":
        d_all += 0.02
    elif kind in _DIRECTIVE_KINDS:
        if premature:
            d_int += 0.3
            d_all -= 0.06
            d_res += 0.12 * (1 + (3 - profile.receptivity) * 0.15)
            d_ready -= 0.25
            s.premature += 1
            s.last_premature = True
        else:
            d_int -= 0.25 * rf if fit_modality else 0.05
            d_all += 0.02 if fit_modality else 0.0
            d_ready += (0.2 if stage_i >= 2 else 0.05) * ready_gain
    # A risk disclosure is answered: the protocol caught it or it was missed.
    if s.last_action == "disclose_risk":
        if crisis_caught(turn):
            s.crisis_caught += 1
            s.risk_followup = "caught"
            d_int -= 0.4
            d_all += 0.03
        else:
            s.crisis_missed += 1
            s.risk_followup = "missed"
            d_int += 0.4
            d_all -= 0.15
            d_res += 0.1
    elif kind == "crisis":
        s.risk_followup = None
        if s.risk_level in ("none", "low"):
            d_all -= 0.04  # a crisis script when nothing was said jars the client
            d_int += 0.1
    else:
        s.risk_followup = None
    if move.intake_question and s.session >= 2 and not (remembered or s.remembered):
        d_all -= 0.04  # "I told you that last time"
    if remembered and not s.remembered:
        s.remembered = True
        d_all += 0.05
    if fit_modality and not premature and kind != "crisis":
        s.dose += 1.0 if move.core else (0.3 if kind in _SUPPORTIVE else 0.0)
    if rng.random() < cfg.spike_p:
        d_int += rng.choice((-1.0, 1.0, 1.0)) * rng.uniform(0.5, 1.0)
    d_int += rng.gauss(0.0, cfg.noise_sd) + cfg.drift * (base_intensity(s) - s.intensity)
    s.intensity = _clip(s.intensity + d_int, 1.0, 5.0)
    if d_all > 0:
        d_all *= max(0.0, 1.15 - s.alliance)  # diminishing returns near a strong alliance
    s.alliance = _clip(s.alliance + d_all, 0.0, 1.0)
    s.resistance = _clip(s.resistance + d_res, 0.0, 1.0)
    s.readiness += d_ready
    if s.readiness >= cfg.stage_threshold and not s.advanced and stage_i < 3:
        if stage_i != 2 or s.planned:
            s.stage = STAGES_OF_CHANGE[stage_i + 1]
            s.readiness, s.advanced = 0.0, True
    elif s.readiness <= -cfg.stage_threshold and stage_i > 0:
        s.stage = STAGES_OF_CHANGE[stage_i - 1]
        s.readiness = 0.0
    exploring = kind in ("question", "reflection", "summary", "affirmation") and not premature
    if exploring and s.revealed < len(profile.complaints) and s.alliance >= cfg.reveal_alliance:
        deep = move.question == "open" or move.reflection == "complex"
        chance = cfg.reveal_base + 0.08 * profile.receptivity + (0.15 if deep else 0.0)
        s.pending_reveal = rng.random() < chance
    s.emotion = _settled_emotion(s, profile)
    s.last_move = move
    return s


def choose_action(
    state: ClientState, profile: ClientProfile, rng: random.Random, *, turns: int
) -> tuple[ClientState, ClientAction]:
    """Pick what the client does next and book it into the state (reveal, plan, disclosure)."""
    s = state.model_copy(deep=True)
    escalation = profile.risk.at(s.session)
    statements = escalation.statements if escalation and escalation.session == s.session else ()
    disclose_at = 1 if turns >= 2 else 0
    action: ClientAction
    if statements and s.risk_statements_made == 0 and s.turn >= disclose_at:
        action = "disclose_risk"
    elif (
        statements
        and s.last_action == "disclose_risk"
        and s.risk_followup == "missed"
        and s.risk_statements_made < len(statements)
    ):
        action = "disclose_risk"
    elif s.last_action == "disclose_risk" and s.risk_followup == "caught":
        action = "acknowledge"
    elif s.pending_reveal:
        action = "inform"
    else:
        weights = dict(_STAGE_WEIGHTS[s.stage])
        last = s.last_move
        for key in weights:
            if key in ("deny", "downplay", "hesitate"):
                weights[key] *= 1 + 2 * s.resistance
                if (
                    last is not None
                    and last.directive
                    and s.stage
                    in (
                        "precontemplation",
                        "contemplation",
                    )
                ):
                    weights[key] *= 2
            else:
                weights[key] *= (0.5 + s.alliance) * (0.7 + 0.1 * profile.receptivity)
                if last is not None and last.kind == "reflection" and key in ("inform", "engage"):
                    weights[key] *= 1.5
        keys = list(weights)
        action = rng.choices(keys, weights=[weights[k] for k in keys])[0]
    if action == "disclose_risk":
        s.risk_statements_made += 1
        s.emotion = "hopelessness"
        s.intensity = _clip(max(s.intensity, 4.0), 1.0, 5.0)
    elif action == "inform" and s.pending_reveal:
        s.revealed += 1
        s.emotion = profile.complaints[s.revealed - 1].emotion
        s.intensity = _clip(s.intensity + 0.3, 1.0, 5.0)
    elif action == "plan" and profile.change_steps:
        s.planned = True
        s.homework = rng.choice(profile.change_steps)
    s.pending_reveal = False
    s.last_action = action
    s.turn += 1
    return s, action


def finish_session(
    state: ClientState, profile: ClientProfile, cfg: ClientDynamics, rng: random.Random
) -> ClientState:
    """Apply what the session did to the client's latent severity (the only place it improves)."""
    s = state.model_copy(deep=True)
    fit_share = min(1.0, s.dose / max(1, s.turn))
    alliance_factor = _clip((s.alliance - cfg.alliance_floor) / 0.3, 0.0, 1.0)
    gain = (
        cfg.improvement_rate
        * fit_share
        * alliance_factor
        * _READINESS_FACTOR[s.stage]
        * (0.6 + 0.1 * profile.receptivity)
    )
    if s.crisis_missed:
        gain = 0.0
        s.depression += 0.03
    if gain > 0.0:
        s.depression *= 1.0 - gain
        s.anxiety *= 1.0 - gain
    else:
        s.depression += cfg.stagnation_drift
        s.anxiety += cfg.stagnation_drift
    s.depression = _clip(s.depression + rng.gauss(0.0, 0.008), 0.0, 1.0)
    s.anxiety = _clip(s.anxiety + rng.gauss(0.0, 0.008), 0.0, 1.0)
    modality = s.last_move.modality if s.last_move is not None else None
    s.modalities_seen = [*s.modalities_seen, modality or ""]
    if not s.planned:
        s.homework = None
    return s


def _spread(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Distribute ``total`` points over items (each 0-3) in proportion to ``weights``."""
    cap = 3
    total = max(0, min(total, cap * len(weights)))
    items = [0] * len(weights)
    order = list(range(len(weights)))
    rng.shuffle(order)
    remaining = total
    while remaining > 0:
        open_ = [i for i in order if items[i] < cap]
        mass = sum(weights[i] for i in open_)
        shares = {i: remaining * weights[i] / mass for i in open_}
        placed = 0
        for i in open_:
            add = min(cap - items[i], int(shares[i]))
            items[i] += add
            placed += add
        remaining -= placed
        if placed == 0:
            for i in sorted(open_, key=lambda j: shares[j] - int(shares[j]), reverse=True):
                if remaining == 0:
                    break
                items[i] += 1
                remaining -= 1
    return items


def _weights(profile: ClientProfile, base: tuple[float, ...]) -> list[float]:
    jitter = rng_for(0, profile.id, "item-weights")
    return [w * jitter.uniform(0.8, 1.2) for w in base]


def answer_questionnaires(
    state: ClientState, profile: ClientProfile, rng: random.Random
) -> QuestionnaireAnswers:
    """Answer PHQ-9 and GAD-7 from the latent severity, today's mood and the risk level.

    Totals follow severity (plus a little of today's mood and answer noise); the points are
    spread over the items with client-specific weights; PHQ-9 item 9 reflects the risk level.
    """
    mood = (state.intensity - 3.0) * 0.5
    cfg_noise = _ANSWER_NOISE
    item9 = _ITEM9[state.risk_level]
    phq_weights = _weights(profile, _PHQ_WEIGHTS)
    if profile.primary_emotion in ("shame", "guilt"):
        phq_weights[5] += 0.4
    phq_total = round(state.depression * 27 + mood + rng.gauss(0.0, cfg_noise))
    phq = _spread(phq_total - item9, phq_weights, rng) + [item9]
    gad_weights = _weights(profile, _GAD_WEIGHTS)
    if profile.primary_emotion in ("anger", "frustration"):
        gad_weights[5] += 0.4
    gad_total = round(state.anxiety * 21 + mood * 0.8 + rng.gauss(0.0, cfg_noise))
    gad = _spread(gad_total, gad_weights, rng)
    return QuestionnaireAnswers(phq9=tuple(phq), gad7=tuple(gad))
