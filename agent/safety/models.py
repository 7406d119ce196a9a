"""Records of the safety module: risk levels, assessments, evidence, guard verdicts, crisis events.

The level scale follows the Columbia Suicide Severity Rating Scale (C-SSRS) screener so that a
clinician reading a trace recognises it:

* ``none``: no self-directed risk found.
* ``low``: wish to be dead or passive ideation ("I wish I could go to sleep and not wake up"),
  past ideation, past self-harm, or a means question with nothing else around it.
* ``moderate``: active ideation ("I want to kill myself"), thoughts of a method, current
  self-harm, a means question after distress, an attempt long ago.
* ``high``: intent or a plan, preparatory behaviour (a note, stockpiled pills, giving things away),
  a recent attempt, command hallucinations to self-harm.
* ``imminent``: plan or intent with means at hand and timing now, or an act in progress.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from theraloop.memory.clock import require_aware

__all__ = [
    "RiskLevel",
    "RISK_LEVELS",
    "RiskCategory",
    "RISK_CATEGORIES",
    "Layer",
    "level_rank",
    "max_level",
    "lower_level",
    "reaches",
    "discloses_risk",
    "EvidenceSpan",
    "LLMRiskOpinion",
    "RiskAssessment",
    "TextSpan",
    "GuardKind",
    "GuardViolation",
    "GuardVerdict",
    "GuardedReply",
    "CrisisEvent",
    "ConditionKind",
    "CONDITION_KINDS",
    "ImminenceCue",
    "MeansContext",
    "ConditionCue",
    "ConditionReading",
]

RiskLevel = Literal["none", "low", "moderate", "high", "imminent"]
"""Self-directed risk, ordered, aligned to the C-SSRS screener (see the module docstring)."""

RISK_LEVELS: tuple[RiskLevel, ...] = ("none", "low", "moderate", "high", "imminent")

_DISCLOSURE_CATEGORIES = frozenset({"harm_to_others", "abuse_by_others"})

RiskCategory = Literal[
    "suicide", "self_harm", "harm_to_others", "abuse_by_others", "delusion", "mania"
]
"""Kinds of risk flagged beside the level; each carries its own severity in ``category_levels``."""

RISK_CATEGORIES: tuple[RiskCategory, ...] = (
    "suicide",
    "self_harm",
    "harm_to_others",
    "abuse_by_others",
    "delusion",
    "mania",
)

Layer = Literal["patterns", "classifier", "llm", "context"]
"""The detector layers; ``context`` is the combination of earlier client turns."""

SELF_DIRECTED: frozenset[str] = frozenset({"suicide", "self_harm"})


def level_rank(level: RiskLevel) -> int:
    """Return the position of ``level`` on the scale, so levels can be compared."""
    return RISK_LEVELS.index(level)


def max_level(levels: Iterable[RiskLevel]) -> RiskLevel:
    """Return the highest of ``levels`` (``none`` for an empty iterable)."""
    best = 0
    for level in levels:
        best = max(best, level_rank(level))
    return RISK_LEVELS[best]


def lower_level(level: RiskLevel) -> RiskLevel:
    """Return the level one step below ``level`` (``none`` stays ``none``).

    Risk carried from earlier turns, and an event long ago, count one level lower.
    """
    return RISK_LEVELS[max(0, level_rank(level) - 1)]


def reaches(level: RiskLevel, threshold: RiskLevel) -> bool:
    """Say whether ``level`` is ``threshold`` or above."""
    return level_rank(level) >= level_rank(threshold)


def discloses_risk(self_level: RiskLevel, categories: Iterable[str]) -> bool:
    """Say whether a turn discloses risk that outweighs a condition the reader read in it.

    Abuse or harm to others, or self-directed risk from ``moderate`` (active ideation, a plan, an
    act), does: the condition reader reads topics, and such a disclosure must never be answered as
    a belief that may not match reality. A borderline ``low`` reading does not ("need it today",
    "my knuckles are bleeding from the washing").
    """
    return reaches(self_level, "moderate") or not _DISCLOSURE_CATEGORIES.isdisjoint(categories)


class EvidenceSpan(BaseModel):
    """A piece of client text that moved the assessment, so a reviewer can see why."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The matched text, verbatim.")
    start: int = Field(ge=0, description="Start offset in the turn's text.")
    end: int = Field(ge=0, description="End offset (exclusive) in the turn's text.")
    source: Literal["patterns", "classifier", "llm"] = Field(description="Layer that found it.")
    signal: str = Field(description="What was found, e.g. 'active_ideation', 'means_question'.")
    category: RiskCategory | None = Field(default=None, description="Category it supports.")
    level: RiskLevel = Field(default="none", description="Level this piece alone supports.")
    turn: int | None = Field(
        default=None,
        description="None for the message being assessed, else the index into ``context``.",
    )


class LLMRiskOpinion(BaseModel):
    """The structured second opinion asked of the chat model on borderline cases.

    ``quote`` comes first so the model points at the client's words before it rates them; the
    detector honours a rating of moderate or above only when that quote is really in the message
    and speaks of the client (see ``RiskAssessor``).
    """

    quote: str = Field(
        default="",
        description=(
            "The few words (at most 12), copied exactly from the current message, in which the "
            "client shows risk to themselves; empty when there are none."
        ),
    )
    level: RiskLevel = Field(
        description=(
            "C-SSRS level of the client's own suicide/self-harm risk: none; low = wish to be "
            "dead, passive ideation; moderate = active ideation or thoughts of a method; high = "
            "intent, plan, preparation or recent attempt; imminent = plan with means and timing now"
        )
    )
    categories: list[RiskCategory] = Field(
        default_factory=list, description="Every category that applies to the client's words."
    )
    rationale: str = Field(default="", max_length=160, description="One short sentence: why.")


ConditionKind = Literal["delusion", "hallucination", "mania", "ocd"]
"""States beyond the suicide scale that change how a counselor must answer (no collusion, no
reassurance of compulsions, no cheering on manic plans); see ``data/conditions.yaml``."""

CONDITION_KINDS: tuple[ConditionKind, ...] = ("delusion", "hallucination", "mania", "ocd")

ImminenceCue = Literal[
    "means_at_hand",
    "means_intent",
    "timing_now",
    "in_progress",
    "preparation",
    "farewell",
    "means_inquiry",
]
"""Cues that raise suicide risk when combined with ideation; ``means_intent`` is the client's
thought of using a means at hand ("I've thought about using it"), ``means_inquiry`` a question
about a means (heights, doses, train times, weapons) asked where earlier turns hold warning
signs."""

MeansContext = Literal["distress", "ideation"]
"""The warning signs a means question follows: distress, hopelessness or loss; or ideation."""


class ConditionCue(BaseModel):
    """One client phrase that supports a condition or an imminence cue."""

    model_config = ConfigDict(frozen=True)

    condition: ConditionKind | Literal["imminence"] = Field(description="What it supports.")
    group: str = Field(description="The cue group in the rules file, e.g. 'voices'.")
    text: str = Field(description="The matched client words, verbatim.")
    start: int = Field(ge=0, description="Start offset in that message.")
    end: int = Field(ge=0, description="End offset (exclusive) in that message.")
    turn: int | None = Field(
        default=None, description="None for the current message, else the index into context."
    )


class ConditionReading(BaseModel):
    """The conditions perceived in a client message and the few messages before it."""

    model_config = ConfigDict(frozen=True)

    conditions: tuple[ConditionKind, ...] = Field(default=(), description="In rules-file order.")
    imminence: tuple[ImminenceCue, ...] = Field(
        default=(), description="Imminence cue groups found (timing only in the current message)."
    )
    cues: tuple[ConditionCue, ...] = Field(default=(), description="The evidence, for review.")
    means_context: MeansContext | None = Field(
        default=None, description="With a means_inquiry cue: the warning signs it follows."
    )
    suspected: tuple[ConditionKind, ...] = Field(
        default=(),
        description="Read by the learned reader below the confidence that changes the reply's "
        "guidance, or held earlier in the window only: enough to check the reply against the "
        "condition's guards, not to act on.",
    )
    carried: tuple[ConditionKind, ...] = Field(
        default=(),
        description="The suspected conditions that were held earlier in the window (mania or OCD "
        "a message ago): their statement checks stay armed, unlike a faint reading now.",
    )

    def has(self, kind: ConditionKind) -> bool:
        """Say whether ``kind`` was perceived."""
        return kind in self.conditions

    def guards(self, kind: ConditionKind) -> bool:
        """Say whether replies are checked against ``kind``'s guards (perceived or suspected)."""
        return kind in self.conditions or kind in self.suspected


class RiskAssessment(BaseModel):
    """The risk read from a client message in the light of the conversation before it.

    ``level`` is the self-directed (suicide and self-harm) C-SSRS level. Harm to others, abuse by
    others, delusion and mania are flagged in ``categories`` with their own severity in
    ``category_levels`` because the right response to them differs (see ``requires_protocol``).
    """

    model_config = ConfigDict(frozen=True)

    level: RiskLevel = Field(description="Self-directed C-SSRS level, current turn and context.")
    turn_level: RiskLevel = Field(
        default="none", description="Level supported by the current message (with context combos)."
    )
    context_level: RiskLevel = Field(
        default="none", description="Highest level carried from earlier client turns."
    )
    categories: list[RiskCategory] = Field(default_factory=list, description="Flags, sorted.")
    category_levels: dict[RiskCategory, RiskLevel] = Field(
        default_factory=dict, description="Severity per flagged category."
    )
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    layers: list[Layer] = Field(default_factory=list, description="Layers that ran.")
    method: str = Field(default="", description="Layers joined with '+', for traces.")
    failed_layers: list[Layer] = Field(
        default_factory=list, description="Layers that errored; the level was escalated for them."
    )
    errors: list[str] = Field(default_factory=list, description="Error messages of failed layers.")
    classifier_risk: float | None = Field(
        default=None,
        description="Classifier probability of self-directed risk (riskiest sentence).",
    )
    llm_opinion: LLMRiskOpinion | None = Field(default=None)
    conditions: ConditionReading = Field(
        default_factory=ConditionReading,
        description="Psychosis, mania, OCD and imminence cues (theraloop.agent.safety.conditions).",
    )
    explained_by: tuple[ConditionKind, ...] = Field(
        default=(),
        description="Conditions the cue rules perceived that explain a reading only the classifier "
        "made (a compulsion's urgency, a voice's plan): the turn is kept low, with the guards on, "
        "and the condition's reply answers it rather than a question about suicide.",
    )
    rationale: str = Field(default="", description="Short human-readable reason.")

    @property
    def requires_protocol(self) -> bool:
        """Say whether the fixed crisis protocol must replace the normal reply.

        True when the self-directed level is ``moderate`` or above, or when harm to others or
        abuse by others is ``high`` or above (an explicit threat, or ongoing danger to the
        client). Delusion and mania alone never trigger it: they are handled by reply guards and
        a recommendation of clinical support, because a crisis script would not fit them.
        """
        if level_rank(self.level) >= level_rank("moderate"):
            return True
        return any(
            level_rank(self.category_levels.get(cat, "none")) >= level_rank("high")
            for cat in ("harm_to_others", "abuse_by_others")
        )

    @property
    def overall_level(self) -> RiskLevel:
        """Return the highest severity over the level and every category."""
        return max_level([self.level, *self.category_levels.values()])

    @property
    def any_risk(self) -> bool:
        """Say whether anything at all was flagged (guards tighten when so)."""
        return self.level != "none" or bool(self.categories)

    @property
    def protocol_focus(self) -> RiskCategory | None:
        """Return the category the crisis reply should address first, or None."""
        if not self.requires_protocol:
            return None
        if level_rank(self.level) >= level_rank("moderate"):
            sl = self.category_levels
            if "suicide" in sl or "self_harm" not in sl:
                return "suicide"
            return "self_harm"
        for cat in ("harm_to_others", "abuse_by_others"):
            if level_rank(self.category_levels.get(cat, "none")) >= level_rank("high"):
                return cat  # type: ignore[return-value]
        return None


class TextSpan(BaseModel):
    """A slice of a drafted reply that a guard objected to."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


GuardKind = Literal[
    "means_information",
    "delusion_agreement",
    "mania_encouragement",
    "compulsion_reassurance",
    "preparation_approval",
    "stigmatizing_language",
    "risk_dismissal",
]
"""What a reply guard can object to."""


class GuardViolation(BaseModel):
    """One reason a drafted reply must not be sent as is."""

    model_config = ConfigDict(frozen=True)

    kind: GuardKind
    span: TextSpan
    detail: str = Field(description="Why this span is a problem.")


class GuardVerdict(BaseModel):
    """The outcome of checking a drafted reply."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    violations: list[GuardViolation] = Field(default_factory=list)

    @property
    def kinds(self) -> list[GuardKind]:
        """Return the distinct violation kinds, in order of first appearance."""
        seen: list[GuardKind] = []
        for v in self.violations:
            if v.kind not in seen:
                seen.append(v.kind)
        return seen


class GuardedReply(BaseModel):
    """A reply after the guards: the draft if it passed, else a safe template."""

    model_config = ConfigDict(frozen=True)

    text: str
    verdict: GuardVerdict
    replaced: bool = Field(description="True when the draft was replaced by a fallback.")


class CrisisEvent(BaseModel):
    """What the ``on_crisis`` hook receives and what the session history keeps (pinned)."""

    model_config = ConfigDict(frozen=True)

    client_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)
    at: datetime = Field(description="When the protocol fired (timezone-aware).")
    assessment: RiskAssessment
    reply: str = Field(description="The crisis reply that was sent.")
    locale: str = Field(default="en-US")

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return require_aware(value, "CrisisEvent.at")
