"""The LLM second opinion: a fixed prompt and a structured (JSON-schema) answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from theraloop.agent.llm import invoke_with_timeout
from theraloop.agent.safety.models import LLMRiskOpinion

__all__ = ["ask_llm", "SYSTEM_PROMPT"]

SYSTEM_PROMPT = (
    "You screen messages from a counselling client for safety risk. Judge only the client's own "
    "risk, from the client's own words.\n"
    "Levels (C-SSRS screener):\n"
    "- none: no wish to die, no self-harm. Idioms ('this exam is killing me', 'I could die of "
    "embarrassment'), talk about other people, and comfort or advice given to someone else "
    "('you deserve to live', 'please don't kill yourself') are none.\n"
    "- low: wishes to be dead or not to wake up, passive thoughts of death.\n"
    "- moderate: thinks about killing themselves, or about a method; current self-harm.\n"
    "- high: intends to act, has a plan, prepared (note, pills saved, giving things away), or "
    "attempted recently.\n"
    "- imminent: about to act now, means at hand, or has already started.\n"
    "Categories: suicide, self_harm, harm_to_others, abuse_by_others, delusion, mania.\n"
    "First copy into quote the few words (at most 12) of the current message in which the "
    "client shows risk to themselves; if there are none, leave quote empty and use level none.\n"
    "Reply with JSON only."
)

_MAX_CONTEXT_TURNS = 4
_MAX_CHARS = 600


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_CHARS else text[: _MAX_CHARS - 3] + "..."


def ask_llm(
    chat_model: Any, text: str, context: Sequence[str], *, timeout_s: float | None = None
) -> LLMRiskOpinion:
    """Ask ``chat_model`` for a structured risk opinion on ``text`` given earlier turns.

    Raises:
        Exception: whatever the model raises, a validation error for malformed output, or
            ``ModelTimeoutError`` after ``timeout_s``; the detector treats any exception as a
            failed layer and escalates.
    """
    earlier = [c for c in context if c.strip()][-_MAX_CONTEXT_TURNS:]
    lines = []
    if earlier:
        lines.append("Earlier client messages:")
        lines.extend(f"- {_clip(c)}" for c in earlier)
    lines.append("Current client message:")
    lines.append(_clip(text))
    lines.append("Rate the client's risk now.")
    runnable = chat_model.with_structured_output(LLMRiskOpinion)
    messages = [SystemMessage(SYSTEM_PROMPT), HumanMessage("\n".join(lines))]
    raw = invoke_with_timeout(runnable, messages, timeout_s=timeout_s)
    if isinstance(raw, LLMRiskOpinion):
        return raw
    if isinstance(raw, dict):
        return LLMRiskOpinion.model_validate(raw)
    if isinstance(raw, str):
        return LLMRiskOpinion.model_validate_json(raw)
    if hasattr(raw, "model_dump"):
        return LLMRiskOpinion.model_validate(raw.model_dump())
    raise TypeError(f"the safety model returned {type(raw).__name__}, not a risk opinion")
