"""Coherence across a client's sessions, read from a run's traces.

Three things a client notices that no single turn shows: an opening that names one of the
agent's internal labels (a snake_case strategy or modality id such as ``reflection_of_feelings``),
an opening that asks about homework before any was set, and a therapist sentence said word for
word in an earlier session (the agent's repeat check looks back only a few replies, and recall can
bring its own old lines back). Sentences count as the agent's repeat check counts them: six words
or more, compared by their lower-cased words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from theraloop.agent.prompts import repeat_keys
from theraloop.simulations.rundata import ClientRun, Run

__all__ = ["ClientCoherence", "client_coherence", "run_coherence", "internal_labels"]

_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_HOMEWORK = re.compile(r"\bhomework\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ClientCoherence:
    """What one client's sessions show across sessions."""

    client_id: str
    sessions: int
    openings: int
    openings_with_internal_labels: int
    homework_asked_before_set: int
    replies: int
    sentences_repeated_across_sessions: int
    """Therapist sentences (openings and replies) said word for word in an earlier session."""
    examples: tuple[str, ...] = ()
    """Up to five offending texts, for a person to read."""


def internal_labels(text: str) -> list[str]:
    """Return the snake_case tokens of ``text``: ids a client should never see."""
    return _SNAKE.findall(text)


def client_coherence(client: ClientRun) -> ClientCoherence:
    """Count cross-session coherence problems in one client's recorded sessions."""
    earlier: set[str] = set()
    openings = labelled = homework_early = replies = repeated = 0
    homework_set = False
    examples: list[str] = []
    for session in client.sessions:
        said: list[str] = []  # the therapist's words this session: opening, then replies
        if session.start is not None:
            opening = session.start.opening
            openings += 1
            plan = session.start.plan or {}
            homework_set = homework_set or bool(plan.get("homework"))
            if internal_labels(opening):
                labelled += 1
                examples.append(opening)
            if _HOMEWORK.search(opening) and not homework_set:
                homework_early += 1
                examples.append(opening)
            said.append(opening)
        said += [str(turn.therapist.get("text", "")) for turn in session.turns]
        replies += len(session.turns)
        said_now: set[str] = set()
        for text in said:
            keys = repeat_keys(text)
            if keys & earlier:
                repeated += len(keys & earlier)
                examples.append(text)
            said_now |= keys
        earlier |= said_now
    return ClientCoherence(
        client_id=client.client_id,
        sessions=len(client.sessions),
        openings=openings,
        openings_with_internal_labels=labelled,
        homework_asked_before_set=homework_early,
        replies=replies,
        sentences_repeated_across_sessions=repeated,
        examples=tuple(examples[:5]),
    )


def run_coherence(run: Run) -> list[ClientCoherence]:
    """Return :func:`client_coherence` for every client of ``run``, in client order."""
    return [client_coherence(run.clients[c]) for c in sorted(run.clients)]
