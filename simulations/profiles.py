"""Client profiles: who a simulated client is, loaded from YAML/JSON files.

A profile is the fixed part of a simulated client (the dynamic part lives in
:class:`theraloop.simulations.state.ClientState`). The library shipped in ``simulations/profiles/``
was written for this project; Cactus intake forms are converted at run time by
:mod:`theraloop.simulations.cactus` because that data is GPL and must never be copied into the
package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from theraloop.agent.safety.models import RiskLevel
from theraloop.memory.errors import InvalidInputError
from theraloop.strategies import Modality

__all__ = [
    "Attitude",
    "StageOfChange",
    "STAGES_OF_CHANGE",
    "ClientEmotion",
    "Demographics",
    "Complaint",
    "LifeEvent",
    "RiskEscalation",
    "RiskProfile",
    "Baseline",
    "ClientProfile",
    "PROFILE_DIR",
    "load_profile",
    "builtin_profiles",
    "builtin_profile_ids",
    "PROFILE_SUFFIXES",
    "profile_files",
]

Attitude = Literal["positive", "neutral", "negative"]
"""The client's attitude towards counselling (Cactus' three attitudes)."""

StageOfChange = Literal["precontemplation", "contemplation", "preparation", "action"]
"""Transtheoretical stage of change (Prochaska & DiClemente), in order."""

STAGES_OF_CHANGE: tuple[StageOfChange, ...] = (
    "precontemplation",
    "contemplation",
    "preparation",
    "action",
)

ClientEmotion = Literal[
    "sadness",
    "anxiety",
    "fear",
    "anger",
    "frustration",
    "shame",
    "guilt",
    "loneliness",
    "hopelessness",
    "grief",
    "numbness",
    "overwhelm",
    "relief",
    "hope",
    "calm",
]
"""What the simulated client actually feels (ground truth for scoring the agent's perception)."""

_SLUG = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Demographics(_Frozen):
    """Who the client is, as an intake form would record it."""

    age: int = Field(ge=12, le=110, description="Age in years.")
    gender: str = Field(min_length=1, description="Gender in the client's own words.")
    occupation: str = Field(default="", description="Job, studies or 'retired'.")
    relationship: str = Field(default="", description="Relationship status.")
    living: str = Field(default="", description="Who the client lives with.")
    background: str = Field(default="", description="Culture, faith or anything else relevant.")


class Complaint(_Frozen):
    """One link of the complaint chain: a concern the client reveals only when explored well."""

    text: str = Field(min_length=3, description="First-person sentence the client says.")
    emotion: ClientEmotion = Field(description="What revealing it stirs up.")
    detail: str = Field(default="", description="Optional elaboration the client can add later.")


class LifeEvent(_Frozen):
    """Something that happens to the client between two sessions."""

    description: str = Field(
        min_length=3, description="First-person clause, e.g. 'my manager put me on a review'."
    )
    emotion: ClientEmotion = Field(description="The emotion it leaves the client with.")
    impact: float = Field(
        ge=-1.0, le=1.0, description="Effect on mood: -1 very distressing ... +1 very uplifting."
    )


class RiskEscalation(_Frozen):
    """Risk that appears (or changes) from a given session on."""

    session: int = Field(ge=1, description="1-based session from which this level holds.")
    level: RiskLevel = Field(description="Risk level from that session on.")
    statements: tuple[str, ...] = Field(
        default=(),
        description=(
            "What the client says about it, in order of escalation; the therapist's crisis "
            "protocol must catch these. Empty: the level shows only in PHQ-9 item 9."
        ),
    )


class RiskProfile(_Frozen):
    """Suicide/self-harm risk of the client over the simulated course."""

    baseline: RiskLevel = Field(default="none", description="Risk level at intake.")
    protective_factors: tuple[str, ...] = Field(
        default=(), description="People or reasons the client can name when asked about safety."
    )
    escalation: tuple[RiskEscalation, ...] = Field(
        default=(), description="Changes of risk by session, ascending."
    )

    @field_validator("escalation")
    @classmethod
    def _ascending(cls, value: tuple[RiskEscalation, ...]) -> tuple[RiskEscalation, ...]:
        sessions = [e.session for e in value]
        if sessions != sorted(set(sessions)):
            raise ValueError(f"escalation sessions must be strictly ascending, got {sessions!r}")
        return value

    def at(self, session: int) -> RiskEscalation | None:
        """Return the escalation entry in force at ``session`` (None: the baseline holds)."""
        current = None
        for entry in self.escalation:
            if entry.session <= session:
                current = entry
        return current

    def level_at(self, session: int) -> RiskLevel:
        """Return the risk level in force at ``session``."""
        entry = self.at(session)
        return self.baseline if entry is None else entry.level


class Baseline(_Frozen):
    """Questionnaire totals at intake; the client's latent severity starts from them."""

    phq9: int = Field(ge=0, le=27, description="PHQ-9 total at intake.")
    gad7: int = Field(ge=0, le=21, description="GAD-7 total at intake.")


class ClientProfile(_Frozen):
    """Everything fixed about a simulated client.

    Example:
        >>> p = builtin_profiles()[0]
        >>> p.stage_of_change in STAGES_OF_CHANGE
        True
    """

    id: str = Field(pattern=_SLUG, description="Stable slug; also the client id in the agent.")
    name: str = Field(min_length=1, description="First name (and surname) the client uses.")
    demographics: Demographics
    presenting_problem: str = Field(min_length=10, description="What brings them, 1-3 sentences.")
    problem_gist: str = Field(
        min_length=2, description="Short noun phrase the client uses for it: 'my drinking'."
    )
    history: str = Field(default="", description="Relevant personal and treatment history.")
    intake_form: str = Field(
        default="", description="Free-text intake form; rendered from the fields when empty."
    )
    core_beliefs: tuple[str, ...] = Field(min_length=1, description="First-person core beliefs.")
    cognitive_distortions: tuple[str, ...] = Field(
        default=(), description="Distortion names (e.g. catastrophizing, mind reading)."
    )
    attitude: Attitude
    stage_of_change: StageOfChange = Field(description="Stage at intake.")
    receptivity: int = Field(ge=1, le=5, description="How open to the therapist's input, 1-5.")
    goals: tuple[str, ...] = Field(
        min_length=1, description="Verb phrases completing 'I want to ...'."
    )
    barriers: tuple[str, ...] = Field(
        default=(), description="Clauses completing 'but ...' when the client hesitates."
    )
    change_steps: tuple[str, ...] = Field(
        default=(), description="Small steps the client may plan: verb phrases ('walk daily')."
    )
    risk: RiskProfile = Field(default_factory=RiskProfile)
    life_events: dict[int, LifeEvent] = Field(
        default_factory=dict, description="Session index -> event that happened before it."
    )
    responds_to: tuple[Modality, ...] = Field(
        min_length=1, description="Modalities under which this client improves."
    )
    complaints: tuple[Complaint, ...] = Field(
        min_length=1, description="Complaint chain; the first is presented, the rest revealed."
    )
    primary_emotion: ClientEmotion
    baseline: Baseline
    style: str = Field(default="", description="How the client talks, for the persona prompt.")
    opening_line: str | None = Field(default=None, description="First words in session 1.")
    tags: tuple[str, ...] = Field(default=(), description="Case categories: depression, grief...")
    source: str = Field(default="theraloop", description="Where the profile came from.")
    metadata: dict[str, str] = Field(default_factory=dict, description="Free extra facts.")

    @field_validator("life_events")
    @classmethod
    def _events_between_sessions(cls, value: dict[int, LifeEvent]) -> dict[int, LifeEvent]:
        bad = [k for k in value if k < 2]
        if bad:
            raise ValueError(
                f"life_events keys are the session the event precedes and must be >= 2, got {bad!r}"
            )
        return dict(sorted(value.items()))

    @model_validator(mode="before")
    @classmethod
    def _render_intake(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("intake_form"):
            data = dict(data)
            data["intake_form"] = _render_intake_form(data)
        return data


def _render_intake_form(data: dict) -> str:
    demo = data.get("demographics") or {}
    if isinstance(demo, BaseModel):
        demo = demo.model_dump()
    lines = [
        f"Name: {data.get('name', '')}",
        f"Age: {demo.get('age', '')}",
        f"Gender: {demo.get('gender', '')}",
        f"Occupation: {demo.get('occupation', '')}",
        f"Relationship: {demo.get('relationship', '')}",
        f"Living situation: {demo.get('living', '')}",
        "",
        "Presenting problem:",
        str(data.get("presenting_problem", "")),
        "",
        "History:",
        str(data.get("history", "")),
        "",
        "Goals: " + "; ".join(data.get("goals") or ()),
    ]
    return "\n".join(lines).strip()


PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
"""Folder of the profile library shipped with the package (one YAML file per client)."""

PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


def load_profile(path: str | Path) -> ClientProfile:
    """Load and validate one profile from a YAML or JSON file.

    Raises:
        InvalidInputError: the file is missing, unparsable or fails validation; the message
            names the file and the offending field.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"profile file {str(path)!r} does not exist")
    try:
        raw = path.read_text(encoding="utf-8")
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"cannot parse profile {str(path)!r}: {exc}") from exc
    try:
        return ClientProfile.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"profile {str(path)!r} is invalid: {exc}") from exc


def profile_files(folder: Path) -> list[Path]:
    """Return the profile files (YAML or JSON) directly inside ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix in PROFILE_SUFFIXES and p.is_file())


def builtin_profiles() -> list[ClientProfile]:
    """Return the shipped profile library, sorted by id."""
    return sorted((load_profile(p) for p in profile_files(PROFILE_DIR)), key=lambda p: p.id)


def builtin_profile_ids() -> list[str]:
    """Return the ids of the shipped profiles (file stems equal the ids)."""
    return sorted(p.stem for p in profile_files(PROFILE_DIR))
