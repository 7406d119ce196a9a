"""How a session opens: the model's greeting and bridge, or a fixed one when the model gives none.

The opening reads the last review's summary and the client portrait (only when memory is on: the
no-memory ablation opens every session as if it were the first) and asks the therapist model for
a greeting. When every call fails, :func:`fallback_opening` says something safe built from the
summary's topics and homework.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from theraloop.agent.prompts import REPEAT_WINDOW, draft_problem, opening_messages
from theraloop.agent.records import RecordBook, SessionSummary, TreatmentPlan
from theraloop.agent.session_graph import call_model
from theraloop.strategies.catalog import strategy_ids
from theraloop.strategies.vocab import EMOTIONS

__all__ = ["Opening", "open_session", "fallback_opening"]

_MAX_OPENING_TOKENS = 120


@dataclass(frozen=True, slots=True)
class Opening:
    """The therapist's first words of a session and the model calls that failed on the way."""

    text: str
    errors: tuple[str, ...] = ()
    """Failed therapist-model calls (``therapist: ...``); the last says if the fallback opened."""


def open_session(
    model: BaseChatModel,
    records: RecordBook,
    *,
    client_id: str,
    session_number: int,
    plan: TreatmentPlan | None,
    remembers: bool,
    retries: int,
    timeout_s: float | None,
) -> Opening:
    """Return the opening of the client's session ``session_number``.

    ``remembers`` is whether long-term memory is on: only then does the opening draw on the last
    review's summary and the client portrait.
    """
    reviews = records.reviews(client_id) if remembers else []
    last = reviews[-1].summary if reviews else None
    portrait = records.portrait(client_id) if remembers else None
    messages = opening_messages(
        plan=plan, last_summary=last, portrait=portrait, session_number=session_number
    )
    # earlier openings count for the repeat check: a session never opens with the last one's words
    earlier = [s.opening for s in records.sessions(client_id) if s.opening][-REPEAT_WINDOW:]
    text, failures = call_model(
        model,
        messages,
        retries=retries,
        timeout_s=timeout_s,
        recent=earlier,
        max_tokens=_MAX_OPENING_TOKENS,
    )
    errors = tuple(f"therapist: {e}" for e in failures)
    if text:
        return Opening(text, errors)
    return Opening(
        fallback_opening(last, earlier), (*errors, "therapist: the opening is the fixed fallback")
    )


def fallback_opening(last: SessionSummary | None, earlier: Sequence[str] = ()) -> str:
    """Return the opening used when the model gives none: a greeting, a bridge, the homework.

    The bridge names the last session's topics rather than quoting its summary, which is written
    about the client ("The client discussed ...") and reads wrongly when said to them. When that
    opening would repeat one of the ``earlier`` openings word for word, a plainer one is said.

    Example:
        >>> print(fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work"))))
        Welcome back. Last time we talked about sleep and work. How have things been since then?
        >>> print(fallback_opening(SessionSummary(text="...", homework="Log two walks.")))
        Welcome back. How did it go with log two walks?
        >>> summary = SessionSummary(text="...", concerns=("depression",), worked_on=("question",))
        >>> print(fallback_opening(summary))  # perceived labels and strategy ids are not topics
        Welcome back. How have things been since then?
        >>> said = fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work")))
        >>> print(fallback_opening(SessionSummary(text="...", worked_on=("sleep", "work")), [said]))
        Good to see you again. What has been on your mind this week?
    """
    opening = _bridged_opening(last)
    if draft_problem(opening, earlier) is None:
        return opening
    return "Good to see you again. What has been on your mind this week?"


def _bridged_opening(last: SessionSummary | None) -> str:
    if last is None:
        return "Hello, I'm glad you're here. What would you like to talk about today?"
    topics = [t for t in map(_topic, (*last.concerns, *last.worked_on)) if t][:2]
    bridge = f" Last time we talked about {' and '.join(topics)}." if topics else ""
    homework = (last.homework or "").strip().rstrip(".")
    if homework:
        if homework[1:2].islower():
            homework = homework[0].lower() + homework[1:]
        return f"Welcome back.{bridge} How did it go with {homework}?"
    return f"Welcome back.{bridge} How have things been since then?"


_NO_TOPIC = frozenset({"", "none", "n/a", "na", "nothing", "unknown", "not discussed", "-"})
_TOPIC_VERB = re.compile(
    r"^(?:(?:we\s+)?(?:worked|talked|spoke|focused)\s+(?:on|about)|discussed|explored|practi[cs]ed|"
    r"reviewed|identified)\s+",
    re.IGNORECASE,
)


def _is_internal_label(topic: str) -> bool:
    """An emotion label or strategy id (the extractive summary's vocabulary) is not a topic."""
    label = topic.strip().lower().replace(" ", "_")
    return label in EMOTIONS or label in strategy_ids()


def _topic(text: str) -> str | None:
    """Return a summary topic fit to say to the client, or ``None``.

    Concerns and work items come from the supervisor model: "Worked on sleep hygiene" becomes
    "sleep hygiene"; "none", quoted lines and items about "the client" are left out.
    """
    topic = _TOPIC_VERB.sub("", " ".join(text.split()).strip().rstrip("."))
    if (
        topic.lower() in _NO_TOPIC
        or _is_internal_label(topic)
        or ":" in topic
        or "client" in topic.lower()
        or len(topic.split()) > 8
    ):
        return None
    return topic[0].lower() + topic[1:] if topic[1:2].islower() else topic
