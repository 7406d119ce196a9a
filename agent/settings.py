"""One settings object for the whole library, read from ``THERALOOP_*`` at the composition root."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from theraloop.strategies import Modality

__all__ = ["Settings", "MODEL_SPEC_FORMS", "validate_model_spec"]

MODEL_SPEC_FORMS = (
    "'local' (embedded Qwen2.5-Coder-1.5B via llama.cpp), 'local-small' (0.5B), 'fake' "
    "(scripted, offline tests), 'ollama:<model>', 'openai:<model>'"
)
_SPEC = re.compile(r"^(local|local-small|fake|ollama:[^\s]+|openai:[^\s]+)$")


def validate_model_spec(value: str, setting: str = "model") -> str:
    """Return ``value`` if it is a known model spec, else raise naming the accepted forms."""
    if not isinstance(value, str) or not _SPEC.match(value.strip()):
        raise ValueError(f"{setting}={value!r} is not a model spec; use one of {MODEL_SPEC_FORMS}")
    return value.strip()


class Settings(BaseSettings):
    """Everything a deployment chooses; code below the composition root receives built objects.

    Example:
        >>> s = Settings(data_dir="/tmp/theraloop-doc", therapist_model="fake")
        >>> s.therapist_model
        'fake'
    """

    model_config = SettingsConfigDict(
        env_prefix="THERALOOP_", frozen=True, extra="forbid", validate_default=True
    )

    data_dir: Path = Field(default=Path("theraloop-data"))
    """Where Chroma files, the checkpoint DB, records and traces live (use an encrypted volume)."""

    therapist_model: str = "local"
    """Model spec of the therapist role (writes replies and session openings)."""
    perception_model: str | None = None
    """Model spec for LLM emotion perception; ``None`` uses the fast embedding classifier."""
    safety_model: str | None = None
    """Model spec for the LLM second opinion on borderline risk; ``None`` shares the therapist's."""
    supervisor_model: str | None = None
    """Model spec of the cross-session supervisor; ``None`` shares the therapist's."""
    client_model: str = "local"
    """Model spec of simulated clients (simulations only)."""
    judge_model: str = "local"
    """Model spec of the simulation judge (simulations only)."""

    chroma_url: str | None = None
    """``http://host:port`` of a Chroma server; ``None`` keeps Chroma embedded in ``data_dir``."""
    checkpoint_url: str | None = None
    """``postgresql://...`` for Postgres checkpoints and records; ``None``: SQLite in data_dir."""

    use_memory: bool = True
    """Ablation switch: ``False`` disables long-term memory recall and writes."""
    cross_session: bool = True
    """Ablation switch: ``False`` skips the supervisor review after sessions."""
    fixed_modality: Modality | None = None
    """Pin the therapy modality (ablation ``fixed-cbt``); ``None`` lets the supervisor choose."""
    initial_modality: Modality = "person_centred"
    """Modality of a new client's first plan."""
    locale: str = "en-US"
    """Locale that picks the crisis-resource table."""
    seed: int = 0
    """Seed for sampling models and simulations."""
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    """Sampling temperature of the therapist model."""
    max_reply_tokens: int = Field(default=160, ge=16, le=2048)
    """Upper bound on a reply's length; replies should stay short."""
    memory_k: int = Field(default=4, ge=1, le=50)
    """How many long-term memories ``recall`` brings into a turn."""
    model_timeout_s: float = Field(default=120.0, gt=0)
    """Time a single model call may take before it counts as failed."""
    model_retries: int = Field(default=2, ge=0, le=10)
    """Retries of a failed model call before the safe fallback reply."""
    review_timeout_s: float = Field(default=180.0, gt=0)
    """Time the session-end summary may take in all, retries included; then it is extractive."""

    @field_validator("therapist_model", "client_model", "judge_model")
    @classmethod
    def _spec(cls, value: str, info) -> str:  # noqa: ANN001
        return validate_model_spec(value, info.field_name)

    @field_validator("perception_model", "safety_model", "supervisor_model")
    @classmethod
    def _optional_spec(cls, value: str | None, info) -> str | None:  # noqa: ANN001
        return None if value is None else validate_model_spec(value, info.field_name)

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/:]+(:\d+)?/?$", value):
            raise ValueError(
                f"chroma_url={value!r} must look like 'http://127.0.0.1:8000' (scheme, host, port)"
            )
        return value

    @field_validator("checkpoint_url")
    @classmethod
    def _checkpoint_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^postgres(ql)?://", value):
            raise ValueError(
                f"checkpoint_url={value!r} must be a 'postgresql://user@host:port/db' URL; "
                "leave it unset for SQLite in data_dir"
            )
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not re.match(r"^[a-z]{2}(-[A-Z]{2})?$", value):
            raise ValueError(f"locale={value!r} must look like 'en-US' or 'en'")
        return value

    def model_for(self, role: Literal["therapist", "safety", "supervisor"]) -> str:
        """Return a role's model spec; safety and supervisor default to the therapist's."""
        spec = getattr(self, f"{role}_model")
        return spec if spec is not None else self.therapist_model
