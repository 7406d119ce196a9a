"""Therapy modalities the agent can work in, with what each is and when it is indicated.

The cross-session supervisor switches between these; the policy prefers the strategies a
modality lists as core. Definitions are short, conventional summaries written for this project.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from theraloop.strategies.errors import StrategyInputError

__all__ = ["Modality", "MODALITY_IDS", "ModalityInfo", "MODALITIES", "get_modality"]

Modality = Literal["cbt", "act", "mi", "person_centred", "solution_focused", "psychodynamic"]
"""Therapy modalities theraloop knows."""

MODALITY_IDS: tuple[Modality, ...] = get_args(Modality)


class ModalityInfo(BaseModel):
    """A therapy modality as the supervisor and the reply prompt need to know it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Modality = Field(description="Stable identifier used in plans and settings.")
    name: str = Field(description="Human-readable name.")
    definition: str = Field(description="What the modality is and how it works, in two sentences.")
    indicated_for: str = Field(description="Presentations and client states it suits best.")
    stance: str = Field(description="How the therapist sounds in it; goes into the reply prompt.")
    core_strategies: tuple[str, ...] = Field(
        description="Catalog strategy ids most central to the modality, most central first."
    )


MODALITIES: Mapping[Modality, ModalityInfo] = MappingProxyType(
    {
        "cbt": ModalityInfo(
            id="cbt",
            name="Cognitive behavioural therapy",
            definition=(
                "A structured, collaborative therapy that links situations, thoughts, feelings "
                "and behaviour. Client and therapist examine unhelpful thoughts as hypotheses "
                "and test new behaviour between sessions."
            ),
            indicated_for=(
                "Depression and anxiety with identifiable negative thoughts, worry, avoidance or "
                "inactivity; clients who like structure and homework and are ready to act."
            ),
            stance="Warm, curious and structured: ask, examine the evidence, agree a small task.",
            core_strategies=(
                "socratic_questioning",
                "identify_distortion",
                "decatastrophizing",
                "thought_record",
                "behavioral_activation",
                "homework_review",
                "summarize",
                "information",
            ),
        ),
        "act": ModalityInfo(
            id="act",
            name="Acceptance and commitment therapy",
            definition=(
                "A mindfulness-based behavioural therapy that helps the client make room for "
                "painful thoughts and feelings instead of fighting them, and act on what they "
                "value."
            ),
            indicated_for=(
                "Chronic distress, rumination, pain or loss that cannot simply be fixed; clients "
                "stuck in struggling with their thoughts, or for whom disputing thoughts backfired."
            ),
            stance=(
                "Accepting and values-focused: notice the feeling, name what matters, small step."
            ),
            core_strategies=(
                "reflection_of_feelings",
                "complex_reflection",
                "open_question",
                "emphasize_autonomy",
                "behavioral_activation",
                "information",
            ),
        ),
        "mi": ModalityInfo(
            id="mi",
            name="Motivational interviewing",
            definition=(
                "A collaborative, guiding conversation that strengthens a person's own motivation "
                "for change by drawing out and reflecting their reasons, while respecting autonomy."
            ),
            indicated_for=(
                "Ambivalence about change (substance use, health behaviour, leaving a situation), "
                "precontemplation or contemplation, and clients who push back on advice."
            ),
            stance=(
                "Non-judgemental and evocative: reflect more than you ask, never argue for change."
            ),
            core_strategies=(
                "open_question",
                "simple_reflection",
                "complex_reflection",
                "affirm",
                "summarize",
                "emphasize_autonomy",
            ),
        ),
        "person_centred": ModalityInfo(
            id="person_centred",
            name="Person-centred therapy",
            definition=(
                "A non-directive therapy in which empathy, unconditional positive regard and "
                "genuineness let the client explore their experience and find their own direction."
            ),
            indicated_for=(
                "First sessions, acute distress, grief, low trust or high resistance; any client "
                "who first needs to feel heard before anything else can help."
            ),
            stance="Empathic and accepting: follow the client, reflect feelings, do not advise.",
            core_strategies=(
                "reflection_of_feelings",
                "restatement",
                "question",
                "affirmation_reassurance",
                "simple_reflection",
                "complex_reflection",
                "emphasize_autonomy",
                "self_disclosure",
                "others",
            ),
        ),
        "solution_focused": ModalityInfo(
            id="solution_focused",
            name="Solution-focused brief therapy",
            definition=(
                "A brief, future-oriented therapy that builds on exceptions to the problem and the "
                "client's existing strengths rather than analysing the problem's causes."
            ),
            indicated_for=(
                "Clients with clear goals and some resources, work or relationship stress, and "
                "those who want short, practical help; less suited to acute crisis."
            ),
            stance=(
                "Hopeful and concrete: ask about exceptions and small next steps, affirm strengths."
            ),
            core_strategies=(
                "question",
                "affirm",
                "affirmation_reassurance",
                "providing_suggestions",
                "homework_review",
                "open_question",
            ),
        ),
        "psychodynamic": ModalityInfo(
            id="psychodynamic",
            name="Psychodynamic-informed therapy",
            definition=(
                "An insight-oriented therapy that explores recurring relational patterns, early "
                "experiences and feelings outside awareness as they show up in the client's story."
            ),
            indicated_for=(
                "Recurring relationship difficulties, long-standing low self-worth, and clients "
                "curious about why patterns repeat; when symptom-focused work has stalled."
            ),
            stance=(
                "Reflective and exploratory: wonder aloud about patterns, link past and present."
            ),
            core_strategies=(
                "complex_reflection",
                "reflection_of_feelings",
                "restatement",
                "question",
                "summarize",
            ),
        ),
    }
)


def get_modality(modality: str) -> ModalityInfo:
    """Return a modality's definition, refusing unknown ids with the accepted forms."""
    try:
        return MODALITIES[modality]  # type: ignore[index]
    except KeyError:
        raise StrategyInputError(
            f"unknown modality {modality!r}; use one of {', '.join(MODALITY_IDS)}"
        ) from None
