"""What the therapist did on a turn, as a simulated client (and a MITI-style coder) sees it.

The client reacts to *moves* (a reflection, a question, premature advice...), not to strategy ids,
so any therapist (the real agent, a stand-in, a transcript) can be simulated against and coded.
The strategy id from the agent's decision trace is the primary signal; the reply text is the
fallback when no strategy is known (session openings, other agents).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from theraloop.strategies import CATALOG, MODALITIES

if TYPE_CHECKING:
    from theraloop.agent import Reply

__all__ = ["MoveKind", "TherapistTurn", "Move", "therapist_turn", "classify_move", "MOVE_KINDS"]

MoveKind = Literal[
    "question",
    "reflection",
    "affirmation",
    "summary",
    "autonomy",
    "information",
    "advice",
    "technique",
    "self_disclosure",
    "crisis",
    "other",
]
"""Coarse kinds of therapist moves, close to MITI behaviour codes."""

MOVE_KINDS: tuple[MoveKind, ...] = get_args(MoveKind)

# strategy id -> (kind, directive, reflection depth, question type)
_KNOWN: Mapping[str, tuple[MoveKind, bool, str | None, str | None]] = {
    "question": ("question", False, None, "open"),
    "open_question": ("question", False, None, "open"),
    "restatement": ("reflection", False, "simple", None),
    "simple_reflection": ("reflection", False, "simple", None),
    "reflection_of_feelings": ("reflection", False, "complex", None),
    "complex_reflection": ("reflection", False, "complex", None),
    "affirmation_reassurance": ("affirmation", False, None, None),
    "affirm": ("affirmation", False, None, None),
    "summarize": ("summary", False, None, None),
    "emphasize_autonomy": ("autonomy", False, None, None),
    "self_disclosure": ("self_disclosure", False, None, None),
    "providing_suggestions": ("advice", True, None, None),
    "information": ("information", True, None, None),
    "socratic_questioning": ("technique", True, None, "open"),
    "identify_distortion": ("technique", True, None, None),
    "decatastrophizing": ("technique", True, None, None),
    "behavioral_activation": ("technique", True, None, None),
    "thought_record": ("technique", True, None, None),
    "homework_review": ("technique", False, None, None),
    "crisis_protocol": ("crisis", False, None, None),
    "others": ("other", False, None, None),
}
_KEYWORDS: tuple[tuple[str, MoveKind, bool], ...] = (
    (r"crisis|safety", "crisis", False),
    (r"reflect|paraphras|restat", "reflection", False),
    (r"summar", "summary", False),
    (r"affirm|reassur|validat|praise", "affirmation", False),
    (r"autonom|permission", "autonomy", False),
    (r"suggest|advi[cs]e|recommend", "advice", True),
    (r"inform|psychoeduc|educat", "information", True),
    (
        r"restructur|reframe|distortion|catastroph|record|activation|exposure|defusion|scaling|"
        r"miracle|homework|plan|values|mindful|interpret|socratic|evidence",
        "technique",
        True,
    ),
    (r"question|explor|ask|probe", "question", False),
    (r"disclos", "self_disclosure", False),
)
_REFLECTION_OPENERS = re.compile(
    r"^(it sounds|sounds like|it seems|you('re| are) (feeling|saying)|you feel|so you|"
    r"i hear|i can hear|what i('m| am) hearing|it must|you've been|part of you|on one hand)",
    re.I,
)
_ADVICE = re.compile(
    r"\b(you (should|need to|could try|might try|must)|try to|i (suggest|recommend)|"
    r"have you tried|why don't you|it would help to)\b",
    re.I,
)
_FEELING_WORDS = re.compile(
    r"\b(feel|feeling|afraid|scared|alone|hurt|angry|ashamed|guilty|sad|lonely|torn|"
    r"worried|anxious|exhausted|overwhelmed|grief|part of you|underneath|because)\b",
    re.I,
)
_CLOSED_Q = re.compile(r"^(do|did|is|are|was|were|have|has|can|could|would|will|should)\b", re.I)
_INTAKE_Q = re.compile(r"what brings you|tell me (a bit )?about yourself|what made you come", re.I)


class TherapistTurn(BaseModel):
    """The parts of a therapist reply a simulated client may react to."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="What the therapist said.")
    strategy: str | None = Field(default=None, description="Strategy id from the decision trace.")
    modality: str | None = Field(default=None, description="Modality the therapist worked in.")
    stage: str | None = Field(default=None, description="Treatment stage of the therapist.")
    crisis: bool = Field(default=False, description="The crisis protocol produced this reply.")
    risk_level: str | None = Field(default=None, description="Risk the therapist assessed.")
    recalled_kinds: tuple[str, ...] = Field(
        default=(), description="Kinds of long-term memories the reply drew on."
    )
    opening: bool = Field(default=False, description="The session's opening words.")


class Move(BaseModel):
    """A therapist turn coded as a behaviour, with what it means for a client."""

    model_config = ConfigDict(frozen=True)

    kind: MoveKind
    strategy: str | None = None
    modality: str | None = None
    directive: bool = Field(description="Pushes advice, information or a challenge.")
    reflection: Literal["simple", "complex"] | None = None
    question: Literal["open", "closed"] | None = None
    core: bool = Field(
        default=False, description="The strategy is core to the modality the therapist is in."
    )
    intake_question: bool = Field(
        default=False, description="Asks what brings the client, as if meeting them anew."
    )
    crisis: bool = False


def therapist_turn(reply: Reply | str, *, opening: bool = False) -> TherapistTurn:
    """Build a :class:`TherapistTurn` from the agent's ``Reply`` or from plain words."""
    if isinstance(reply, str):
        return TherapistTurn(text=reply, opening=opening)
    return TherapistTurn(
        text=reply.text,
        strategy=reply.strategy,
        modality=reply.modality,
        stage=reply.stage,
        crisis=reply.crisis,
        risk_level=reply.risk_level,
        recalled_kinds=tuple(r.kind for r in reply.recalled if r.kind),
        opening=opening,
    )


def _core_strategies(modality: str | None) -> tuple[str, ...]:
    if not modality:
        return ()
    info = MODALITIES.get(modality)  # type: ignore[call-overload]
    return tuple(info.core_strategies) if info is not None else ()


def _directive_from_catalog(strategy: str) -> bool | None:
    entry = CATALOG.get(strategy)
    return entry.directive if entry is not None else None


def _from_text(text: str) -> tuple[MoveKind, bool, str | None, str | None]:
    stripped = text.strip()
    last = re.split(r"(?<=[.!?])\s+", stripped)[-1] if stripped else ""
    if _ADVICE.search(stripped):
        return "advice", True, None, None
    if _REFLECTION_OPENERS.search(stripped) and not last.endswith("?"):
        depth = "complex" if _FEELING_WORDS.search(stripped) else "simple"
        return "reflection", False, depth, None
    if last.endswith("?"):
        return "question", False, None, "closed" if _CLOSED_Q.match(last) else "open"
    return "other", False, None, None


def classify_move(turn: TherapistTurn) -> Move:
    """Code a therapist turn as a move (strategy id first, reply text as the fallback)."""
    strategy = turn.strategy
    if turn.crisis:
        kind, directive, refl, quest = "crisis", False, None, None
    elif strategy and strategy in _KNOWN:
        kind, directive, refl, quest = _KNOWN[strategy]
    elif strategy:
        kind, directive, refl, quest = "other", False, None, None
        for pattern, k, d in _KEYWORDS:
            if re.search(pattern, strategy, re.I):
                kind, directive = k, d
                break
        if kind == "other":
            kind, directive, refl, quest = _from_text(turn.text)
    else:
        kind, directive, refl, quest = _from_text(turn.text)
    if strategy:
        catalog_directive = _directive_from_catalog(strategy)
        if catalog_directive is not None:
            directive = catalog_directive
    if kind == "reflection" and refl is None:
        refl = "complex" if _FEELING_WORDS.search(turn.text) else "simple"
    if kind == "question" and quest is None:
        last = turn.text.strip().rsplit("?", 1)[0].split(".")[-1].strip()
        quest = "closed" if _CLOSED_Q.match(last) else "open"
    core = bool(strategy) and strategy in _core_strategies(turn.modality)
    return Move(
        kind=kind,  # type: ignore[arg-type]
        strategy=strategy,
        modality=turn.modality,
        directive=directive,
        reflection=refl,  # type: ignore[arg-type]
        question=quest,  # type: ignore[arg-type]
        core=core,
        intake_question=bool(_INTAKE_Q.search(turn.text)),
        crisis=turn.crisis,
    )
