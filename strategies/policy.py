"""Choose the next counselling strategy with a transparent, deterministic scoring policy.

Every catalog strategy starts from a small prior and gains or loses points for how well it fits
the moment:

* the plan's modality (its strategies are preferred),
* the treatment stage (exploration -> insight -> action; Hill's helping-skills model: explore
  with questions and restatements, deepen with reflections and challenges, then inform and plan),
* the client's emotion family and intensity (overwhelming feelings are reflected before any
  problem solving),
* the client's reaction to the last turn (TheraMind: resistance is met with reflection and
  autonomy, ambivalence with double-sided reflection, drift with a refocusing question),
* what the client asked for (advice, information, or a goodbye),
* the recent strategies (the question-reflection rhythm, no third question in a row, no
  strategy twice in three turns) and the position in the session (open, review homework,
  summarise late).

Some moves are ruled out outright: directive moves (advice, information, challenges) while the
client resists, the strategy used last turn, homework review when none is pending. The highest
score wins, ties go to catalog order, and the reason names the contributions that decided it,
so a clinician reading a trace can see why. The weights are hand-set from counselling practice
(:class:`PolicyWeights`), not fitted to any data.

With a learned prior (``PolicyInput.learned``: the probability of each ESConv label from
:mod:`theraloop.strategies.next_strategy`, fitted on ESConv), the prior's log-probability replaces
the hand-set preferences (base rates, stage, emotion family, intensity, rhythm, position), and the
clinical rules stay on top: the plan's modality, the reaction (resistance rules out directive
moves and favours reflection), what the client asked for and pending homework. The no-repeat
rules are dropped in this mode because the fitted prior already knows when supporters repeat a
move (a second question after a short answer is common in ESConv).
"""

from __future__ import annotations

import math
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_validator

from theraloop.strategies.catalog import ESCONV_LABELS, Strategy, load_catalog
from theraloop.strategies.modalities import Modality
from theraloop.strategies.requests import ClientRequest
from theraloop.strategies.vocab import Reaction, TreatmentStage, emotion_family

__all__ = ["PolicyInput", "PolicyWeights", "StrategyChoice", "choose_strategy"]

_REFLECTIVE = frozenset(
    {"reflection_of_feelings", "simple_reflection", "complex_reflection", "emphasize_autonomy"}
)
_QUESTIONS = frozenset(
    {"question", "open_question", "socratic_questioning", "decatastrophizing", "homework_review"}
)
_OPENERS = frozenset({"question", "open_question"})
_LISTENING = frozenset(
    {"restatement", "reflection_of_feelings", "simple_reflection", "complex_reflection"}
)

# What each stage is mainly for (Hill's helping-skills model, which ESConv also follows):
# exploring asks and restates, insight deepens and challenges, action informs and plans.
_STAGE_FOCUS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "exploration": frozenset({"question", "open_question", "restatement", "simple_reflection"}),
        "insight": frozenset(
            {
                "reflection_of_feelings",
                "complex_reflection",
                "self_disclosure",
                "socratic_questioning",
                "identify_distortion",
                "summarize",
            }
        ),
        "action": frozenset(
            {
                "providing_suggestions",
                "information",
                "behavioral_activation",
                "thought_record",
                "decatastrophizing",
                "emphasize_autonomy",
            }
        ),
    }
)

# Emotion-family preferences: which moves suit which kind of feeling (beyond intensity).
_FAMILY_BONUS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        "anxious": MappingProxyType(
            {
                "decatastrophizing": 0.6,
                "socratic_questioning": 0.3,
                "information": 0.3,
                "reflection_of_feelings": 0.2,
            }
        ),
        "low": MappingProxyType(
            {
                "behavioral_activation": 0.6,
                "reflection_of_feelings": 0.3,
                "affirm": 0.2,
                "affirmation_reassurance": 0.2,
            }
        ),
        "hostile": MappingProxyType(
            {
                "reflection_of_feelings": 0.5,
                "simple_reflection": 0.3,
                "providing_suggestions": -0.3,
                "identify_distortion": -0.3,
            }
        ),
        "self_conscious": MappingProxyType(
            {
                "affirmation_reassurance": 0.6,
                "affirm": 0.5,
                "self_disclosure": 0.2,
                "identify_distortion": 0.2,
            }
        ),
        "positive": MappingProxyType(
            {"affirm": 0.5, "affirmation_reassurance": 0.3, "summarize": 0.2}
        ),
        "neutral": MappingProxyType({"question": 0.3, "open_question": 0.3}),
    }
)

# Reaction preferences: TheraMind-style adaptation to how the last turn landed.
_REACTION_BONUS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        "resistant": MappingProxyType(
            {
                "reflection_of_feelings": 1.5,
                "simple_reflection": 1.5,
                "complex_reflection": 1.5,
                "emphasize_autonomy": 1.5,
                "question": -0.3,
                "open_question": -0.3,
                "summarize": -0.3,
            }
        ),
        "ambivalent": MappingProxyType(
            {
                "complex_reflection": 1.5,
                "summarize": 0.6,
                "emphasize_autonomy": 0.6,
                "open_question": 0.3,
            }
        ),
        "off_topic": MappingProxyType(
            {"open_question": 0.6, "question": 0.6, "summarize": 0.5, "restatement": 0.4}
        ),
        "engaged": MappingProxyType({}),
    }
)

# What the client asked for: answer the request rather than talk past it.
_REQUEST_BONUS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        "advice": MappingProxyType(
            {"providing_suggestions": 1.4, "behavioral_activation": 0.6, "information": 0.4}
        ),
        "information": MappingProxyType({"information": 1.6}),
        "thanks": MappingProxyType({"others": 1.6, "affirmation_reassurance": 0.4, "affirm": 0.3}),
        "none": MappingProxyType({}),
    }
)


class PolicyWeights(BaseModel):
    """Weights of the scoring policy; defaults encode the clinical rules in the module docstring.

    Injected so a study can vary them; the defaults are hand-set from counselling practice, not
    fitted to any evaluation data.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    priors: dict[str, float] = Field(
        default_factory=lambda: {
            "question": 0.3,
            "restatement": 0.1,
            "reflection_of_feelings": 0.3,
            "self_disclosure": -0.3,
            "affirmation_reassurance": 0.2,
            "providing_suggestions": 0.1,
            "information": 0.0,
            "others": -0.6,
            "open_question": 0.2,
            "simple_reflection": 0.1,
            "complex_reflection": 0.2,
            "affirm": 0.1,
            "summarize": 0.0,
            "emphasize_autonomy": 0.0,
        },
        description="Starting score per strategy id; ids not listed start at 0.",
    )
    modality: float = Field(default=1.2, description="Bonus when the strategy is in the modality.")
    stage_fit: float = Field(default=0.8, description="Bonus when the strategy fits the stage.")
    stage_miss: float = Field(default=-0.8, description="Penalty when it does not.")
    stage_focus: float = Field(
        default=0.4, description="Bonus for the moves a stage is mainly for (Hill's model)."
    )
    high_intensity_reflect: float = Field(
        default=0.8, description="Bonus for feeling-reflections at intensity >= 4."
    )
    high_intensity_reassure: float = Field(
        default=0.4, description="Bonus for reassurance at intensity >= 4."
    )
    high_intensity_directive: float = Field(
        default=-0.6, description="Penalty for directive moves at intensity >= 4 (soothe first)."
    )
    engaged_action_directive: float = Field(
        default=0.3, description="Bonus for directive moves when engaged in the action stage."
    )
    ambivalent_directive: float = Field(
        default=-0.8, description="Penalty for directive moves when the client is ambivalent."
    )
    off_topic_directive: float = Field(
        default=-0.4, description="Penalty for directive moves when the client drifted off topic."
    )
    recent_repeat: float = Field(
        default=-0.8, description="Penalty for the strategy used two turns ago."
    )
    question_streak: float = Field(
        default=-0.5, description="Penalty for another question after two questions in a row."
    )
    opening_question: float = Field(
        default=0.5, description="Bonus for open exploration on the first turn."
    )
    opening_others: float = Field(default=0.4, description="Bonus for a greeting on turn 0.")
    homework_review: float = Field(
        default=1.5, description="Bonus for reviewing pending homework in the first two turns."
    )
    late_summary: float = Field(
        default=0.6, description="Bonus for a summary after turn 6 if none in the last 5 turns."
    )
    learned: float = Field(
        default=1.0, description="Weight of the learned prior's log-probability, when given."
    )
    learned_modality: float = Field(
        default=0.3,
        description="Modality bonus when a learned prior is given: enough to choose among the "
        "catalog moves of one ESConv label, small beside the prior's preferences.",
    )
    learned_technique: float = Field(
        default=0.2,
        description="Extra bonus with a learned prior for an MI or CBT technique of the plan's "
        "modality over the generic ESConv move of the same label.",
    )
    rhythm: float = Field(
        default=0.3,
        description="Bonus for listening after a question and for a question after listening "
        "(the question-reflection rhythm of MI and helping-skills training).",
    )


class PolicyInput(BaseModel):
    """What the policy knows about this turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    emotion: str = Field(min_length=1, description="Perceived emotion label, e.g. 'anxiety'.")
    intensity: int = Field(ge=1, le=5, description="Perceived intensity, 1 (mild) to 5 (severe).")
    reaction: Reaction = Field(description="How the client took the last therapist turn.")
    stage: TreatmentStage = Field(description="Treatment stage from the plan.")
    modality: Modality = Field(description="Modality of the current treatment plan.")
    recent_strategies: list[str] = Field(
        default_factory=list, description="Strategy ids used in earlier turns, most recent last."
    )
    turn_index: int = Field(ge=0, description="0-based index of this turn in the session.")
    homework_pending: bool = Field(
        default=False, description="Homework was agreed last session and not yet reviewed."
    )
    request: ClientRequest = Field(
        default="none",
        description="What the client's message asks for (theraloop.strategies.detect_request).",
    )
    learned: dict[str, float] | None = Field(
        default=None,
        description="Probability of each ESConv label for this turn from a fitted model "
        "(theraloop.strategies.next_strategy); None uses the hand-set preferences.",
    )

    @field_validator("learned")
    @classmethod
    def _esconv_probabilities(cls, learned: dict[str, float] | None) -> dict[str, float] | None:
        if learned is None:
            return None
        if sorted(learned) != sorted(ESCONV_LABELS):
            raise ValueError(f"learned needs one probability per ESConv label, got {list(learned)}")
        if any(not 0.0 <= p <= 1.0 for p in learned.values()):
            raise ValueError("learned probabilities must lie in [0, 1]")
        return learned

    @field_validator("recent_strategies")
    @classmethod
    def _known_strategies(cls, recent: list[str]) -> list[str]:
        catalog = load_catalog()
        unknown = [strategy_id for strategy_id in recent if strategy_id not in catalog]
        if unknown:
            raise ValueError(
                f"recent_strategies has unknown ids {unknown!r}; use catalog ids such as "
                f"{', '.join(list(catalog)[:4])}, ..."
            )
        return recent


class StrategyChoice(BaseModel):
    """The chosen strategy, why, and the score of every candidate that was allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(description="Chosen strategy id.")
    reason: str = Field(description="The contributions that decided it, in words.")
    scores: dict[str, float] = Field(description="Score per eligible strategy id.")
    excluded: dict[str, str] = Field(
        default_factory=dict, description="Strategy ids ruled out, with the rule that did it."
    )


_Contribution = tuple[float, str]


def _exclusion(strategy: Strategy, inp: PolicyInput) -> str | None:
    if inp.learned is None and inp.recent_strategies and strategy.id == inp.recent_strategies[-1]:
        return "used on the previous turn (no immediate repeats)"
    if inp.reaction == "resistant" and strategy.directive:
        return "directive move while the client resists"
    if strategy.id == "homework_review" and not inp.homework_pending:
        return "no homework pending"
    return None


def _reaction_and_request(
    strategy: Strategy, inp: PolicyInput, weights: PolicyWeights
) -> list[_Contribution]:
    """Contributions of the client's reaction (directive moves included) and request."""
    sid = strategy.id
    parts: list[_Contribution] = []

    def add(value: float, why: str) -> None:
        if value:
            parts.append((value, why))

    add(_REACTION_BONUS[inp.reaction].get(sid, 0.0), f"client is {inp.reaction}")
    if strategy.directive:
        if inp.reaction == "engaged" and inp.stage == "action":
            add(weights.engaged_action_directive, "engaged and ready to act")
        elif inp.reaction == "ambivalent":
            add(weights.ambivalent_directive, "ambivalent: pushing invites pushback")
        elif inp.reaction == "off_topic":
            add(weights.off_topic_directive, "off topic: reconnect before steering")
    add(_REQUEST_BONUS[inp.request].get(sid, 0.0), f"client asks for {inp.request}")
    return parts


def _clinical_rules(
    strategy: Strategy, inp: PolicyInput, weights: PolicyWeights, modality_bonus: float
) -> list[_Contribution]:
    """Contributions of the plan, the reaction, the request and homework (both modes)."""
    sid = strategy.id
    parts: list[_Contribution] = []

    def add(value: float, why: str) -> None:
        if value:
            parts.append((value, why))

    if inp.modality in strategy.modalities:
        add(modality_bonus, f"belongs to the {inp.modality} modality")
    parts += _reaction_and_request(strategy, inp, weights)
    if sid == "homework_review" and inp.turn_index <= 1:
        add(weights.homework_review, "homework from last session to review")
    return parts


def _learned_contributions(
    strategy: Strategy, inp: PolicyInput, weights: PolicyWeights
) -> list[_Contribution]:
    assert inp.learned is not None
    label = strategy.esconv_label or "Others"
    probability = max(inp.learned[label], 1e-6)
    # Relative to the uniform 1/8, so a label the model favours adds and the reason shows it.
    lift = math.log(probability * len(ESCONV_LABELS))
    parts: list[_Contribution] = [
        (weights.learned * lift, f"fitted on ESConv: {label} p={probability:.2f}")
    ]
    if inp.modality in strategy.modalities and strategy.family != "esconv":
        parts.append((weights.learned_technique, f"a {inp.modality} technique"))
    return parts + _clinical_rules(strategy, inp, weights, weights.learned_modality)


def _contributions(
    strategy: Strategy, inp: PolicyInput, weights: PolicyWeights
) -> list[_Contribution]:
    if inp.learned is not None:
        return _learned_contributions(strategy, inp, weights)
    sid = strategy.id
    parts: list[_Contribution] = []

    def add(value: float, why: str) -> None:
        if value:
            parts.append((value, why))

    add(weights.priors.get(sid, 0.0), "base rate")
    if inp.modality in strategy.modalities:
        add(weights.modality, f"belongs to the {inp.modality} modality")
    if inp.stage in strategy.stages:
        add(weights.stage_fit, f"fits the {inp.stage} stage")
    else:
        add(weights.stage_miss, f"does not fit the {inp.stage} stage")
    if sid in _STAGE_FOCUS[inp.stage]:
        add(weights.stage_focus, f"a core move of the {inp.stage} stage")

    family = emotion_family(inp.emotion)
    add(_FAMILY_BONUS[family].get(sid, 0.0), f"suits {family} feelings ({inp.emotion})")
    if inp.intensity >= 4:
        if sid in ("reflection_of_feelings", "complex_reflection"):
            add(weights.high_intensity_reflect, f"intensity {inp.intensity}: feelings first")
        if sid in ("affirmation_reassurance", "affirm"):
            add(weights.high_intensity_reassure, f"intensity {inp.intensity}: reassure")
        if strategy.directive:
            add(
                weights.high_intensity_directive,
                f"intensity {inp.intensity}: soothe before fixing",
            )

    parts += _reaction_and_request(strategy, inp, weights)

    recent = inp.recent_strategies
    if recent and recent[-1] in _QUESTIONS and sid in _LISTENING:
        add(weights.rhythm, "listen after a question")
    if recent and recent[-1] in _LISTENING and sid in _OPENERS:
        add(weights.rhythm, "explore after listening")
    if len(recent) >= 2 and sid == recent[-2]:
        add(weights.recent_repeat, "used two turns ago")
    if sid in _QUESTIONS and len(recent) >= 2 and all(r in _QUESTIONS for r in recent[-2:]):
        add(weights.question_streak, "two questions in a row already")

    if inp.turn_index == 0:
        if sid in _OPENERS:
            add(weights.opening_question, "first turn: open the conversation")
        if sid == "others":
            add(weights.opening_others, "first turn: greet")
    if sid == "homework_review" and inp.turn_index <= 1:
        add(weights.homework_review, "homework from last session to review")
    if sid == "summarize" and inp.turn_index >= 6 and "summarize" not in recent[-5:]:
        add(weights.late_summary, f"turn {inp.turn_index}: time to pull threads together")
    return parts


def _reason(strategy: Strategy, parts: list[_Contribution], excluded: dict[str, str]) -> str:
    positives = sorted((p for p in parts if p[0] > 0), key=lambda p: -p[0])[:3]
    because = "; ".join(f"{why} (+{value:.1f})" for value, why in positives) or "best remaining"
    reason = f"{strategy.name}: {because}"
    withheld = sorted({why for why in excluded.values() if why.startswith("directive")})
    if withheld:
        reason += f"; withheld: {withheld[0]}"
    return reason


def choose_strategy(inp: PolicyInput, weights: PolicyWeights | None = None) -> StrategyChoice:
    """Score every catalog strategy for this turn and return the best with its reason.

    Deterministic: the same input always gives the same choice (ties break in catalog order).

    Args:
        inp: Emotion, intensity, reaction, stage, modality, recent strategies and turn index.
        weights: Policy weights; the documented defaults when omitted.
    """
    weights = weights or PolicyWeights()
    catalog = load_catalog()
    scores: dict[str, float] = {}
    excluded: dict[str, str] = {}
    details: dict[str, list[_Contribution]] = {}
    for strategy in catalog.values():
        why_not = _exclusion(strategy, inp)
        if why_not is not None:
            excluded[strategy.id] = why_not
            continue
        parts = _contributions(strategy, inp, weights)
        details[strategy.id] = parts
        scores[strategy.id] = round(sum(value for value, _ in parts), 3)
    order = {sid: position for position, sid in enumerate(catalog)}
    best = max(scores, key=lambda sid: (scores[sid], -order[sid]))
    return StrategyChoice(
        strategy=best,
        reason=_reason(catalog[best], details[best], excluded),
        scores=scores,
        excluded=excluded,
    )
