"""Simulated clients: the protocol the runner drives and the stateful implementation.

A simulated client is an agent of its own: it hears the therapist, updates its inner state
(:mod:`theraloop.simulations.dynamics`), decides what to do (deny, inform, plan...), says it
(:mod:`theraloop.simulations.utterances`), remembers the session verbatim and earlier sessions as
summaries, and answers PHQ-9 and GAD-7 at the start and end of every session.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.dynamics import (
    ClientDynamics,
    answer_questionnaires,
    begin_session,
    choose_action,
    finish_session,
    initial_state,
    react,
    rng_for,
)
from theraloop.simulations.moves import Move, TherapistTurn, classify_move
from theraloop.simulations.profiles import ClientProfile
from theraloop.simulations.state import (
    ClientMemory,
    ClientState,
    ClientTurn,
    Exchange,
    QuestionnaireAnswers,
)
from theraloop.simulations.utterances import LLMVoice, TemplateVoice, UtteranceContext, Voice

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "SimulatedClient",
    "StatefulClientConfig",
    "StatefulClient",
    "CLIENT_REGISTRY",
    "make_client",
]

_PAST_KINDS = {"session_summary", "portrait", "plan", "insight"}
_STOP = set(
    "about after again also because been being could didn't doesn't don't every feel feeling "
    "from have here just know last like really said session some that their there these they "
    "thing things think this those time told what when where which while with would your you're "
    "counsellor therapist talked mostly asked questions reflected worked techniques left "
    "feeling explained encouraged summarised choices checked safety things today week".split()
)
_ADJECTIVES = {
    "sadness": "sad",
    "anxiety": "anxious",
    "fear": "scared",
    "anger": "angry",
    "frustration": "frustrated",
    "shame": "ashamed",
    "guilt": "guilty",
    "loneliness": "lonely",
    "hopelessness": "hopeless",
    "grief": "grief-stricken",
    "numbness": "numb",
    "overwhelm": "overwhelmed",
    "relief": "relieved",
    "hope": "hopeful",
    "calm": "calm",
}
_KIND_PHRASES = {
    "reflection": "reflected back what I said",
    "question": "asked me questions",
    "technique": "worked through exercises with me",
    "advice": "gave me advice",
    "affirmation": "encouraged me",
    "summary": "summed things up",
    "information": "explained things",
    "autonomy": "left the choices to me",
    "crisis": "checked on my safety",
    "self_disclosure": "shared a bit of themselves",
    "other": "chatted",
}


@runtime_checkable
class SimulatedClient(Protocol):
    """Everything the runner calls on a simulated client."""

    @property
    def profile(self) -> ClientProfile:
        """Return the client's fixed profile."""
        ...

    @property
    def state(self) -> ClientState:
        """Return the client's current inner state."""
        ...

    @property
    def memory(self) -> ClientMemory:
        """Return what the client remembers."""
        ...

    def start_session(self, session: int, *, turns: int) -> QuestionnaireAnswers:
        """Move to the start of ``session`` and answer the intake questionnaires."""
        ...

    def hear(self, turn: TherapistTurn) -> Move:
        """Take in the therapist's words (opening or reply) and react inwardly."""
        ...

    def speak(self) -> ClientTurn:
        """Choose an action and say it."""
        ...

    def end_session(self) -> QuestionnaireAnswers:
        """Close the session (improvement, memory) and answer the questionnaires."""
        ...

    def restore(self, state: ClientState, memory: ClientMemory) -> None:
        """Continue from a saved state (resuming an interrupted run)."""
        ...

    def set_turns(self, turns: int) -> None:
        """Set the session length that times scripted disclosures (needed after a restore)."""
        ...


@dataclass(frozen=True)
class StatefulClientConfig:
    """Knobs of :class:`StatefulClient`."""

    dynamics: ClientDynamics = field(default_factory=ClientDynamics)
    """Rates of the state machine."""
    max_sentences: int = 3
    """Longest turn an LLM voice may produce."""


class StatefulClient:
    """A simulated client with a state machine, a memory and a voice.

    Deterministic for a given ``seed`` with the template voice (``model=None``): every random
    draw comes from a generator keyed by (seed, client, session, turn, purpose).

    Example:
        >>> from theraloop.simulations.profiles import builtin_profiles
        >>> client = StatefulClient(builtin_profiles()[0], seed=1)
        >>> answers = client.start_session(1, turns=4)
        >>> len(answers.phq9), len(answers.gad7)
        (9, 7)
    """

    def __init__(
        self,
        profile: ClientProfile,
        *,
        seed: int = 0,
        config: StatefulClientConfig | None = None,
        model: BaseChatModel | None = None,
    ) -> None:
        self._profile = profile
        self.seed = seed
        self.config = config or StatefulClientConfig()
        self._state = initial_state(profile)
        self._memory = ClientMemory()
        self._turns = 1
        self.voice: Voice = (
            TemplateVoice()
            if model is None
            else LLMVoice(model, max_sentences=self.config.max_sentences)
        )

    @property
    def profile(self) -> ClientProfile:
        """Return the client's fixed profile."""
        return self._profile

    @property
    def state(self) -> ClientState:
        """Return a copy of the current inner state."""
        return self._state.model_copy(deep=True)

    @property
    def memory(self) -> ClientMemory:
        """Return a copy of what the client remembers."""
        return self._memory.model_copy(deep=True)

    def _rng(self, *keys: object) -> random.Random:
        return rng_for(self.seed, self._profile.id, *keys)

    def start_session(self, session: int, *, turns: int) -> QuestionnaireAnswers:
        """Move to the start of ``session`` (time passed, life events) and answer PHQ-9/GAD-7.

        Raises:
            InvalidInputError: ``session`` is not after the current one, or ``turns`` < 1.
        """
        if session <= self._state.session:
            raise InvalidInputError(
                f"session {session!r} must come after the client's current session "
                f"{self._state.session}; restore() a saved state to go back"
            )
        if turns < 1:
            raise InvalidInputError(f"turns must be >= 1, got {turns!r}")
        self._turns = turns
        state = begin_session(
            self._state, self._profile, session, self.config.dynamics, self._rng(session, "begin")
        )
        self._state = state.model_copy(
            update={"session_revealed_from": state.revealed, "session_moves": {}}
        )
        self._memory = ClientMemory(long_term=list(self._memory.long_term))
        return answer_questionnaires(self._state, self._profile, self._rng(session, "start"))

    def _refers_to_past(self, turn: TherapistTurn) -> bool:
        if self._state.session < 2 or not self._memory.long_term:
            return False
        if _PAST_KINDS.intersection(turn.recalled_kinds):
            return True
        said_now = " ".join(self._memory.client_lines()).lower()
        past = set(_words(" ".join(self._memory.long_term))) - set(_words(said_now))
        return len(past.intersection(_words(turn.text))) >= 2

    def hear(self, turn: TherapistTurn) -> Move:
        """React inwardly to the therapist's words and remember them."""
        move = classify_move(turn)
        remembered = self._refers_to_past(turn)
        self._memory.short_term.append(Exchange(speaker="therapist", text=turn.text))
        state = react(
            self._state,
            self._profile,
            turn,
            move,
            self.config.dynamics,
            self._rng(self._state.session, self._state.turn, "react"),
            remembered=remembered,
        )
        moves = dict(state.session_moves)
        moves[move.kind] = moves.get(move.kind, 0) + 1
        self._state = state.model_copy(update={"session_moves": moves})
        return move

    def speak(self) -> ClientTurn:
        """Choose what to do next and say it."""
        before = self._state
        state, action = choose_action(
            before,
            self._profile,
            self._rng(before.session, before.turn, "action"),
            turns=self._turns,
        )
        revealed = state.revealed - 1 if state.revealed > before.revealed else None
        statement = None
        if action == "disclose_risk":
            entry = self._profile.risk.at(state.session)
            if entry is not None and entry.statements:
                statement = entry.statements[
                    min(state.risk_statements_made, len(entry.statements)) - 1
                ]
        short = self._memory.short_term
        ctx = UtteranceContext(
            profile=self._profile,
            state=state,
            memory=self._memory,
            action=action,
            rng=self._rng(before.session, before.turn, "voice"),
            therapist_text=short[-1].text if short and short[-1].speaker == "therapist" else "",
            first_of_session=before.turn == 0,
            revealed=self._profile.complaints[revealed] if revealed is not None else None,
            risk_statement=statement,
        )
        text = self.voice.say(ctx)
        self._state = state
        self._memory.short_term.append(Exchange(speaker="client", text=text))
        return ClientTurn(
            text=text, action=action, revealed_complaint=revealed, risk_statement=bool(statement)
        )

    def end_session(self) -> QuestionnaireAnswers:
        """Let the session work (or not), remember it, and answer PHQ-9/GAD-7."""
        session = self._state.session
        self._state = finish_session(
            self._state, self._profile, self.config.dynamics, self._rng(session, "finish")
        )
        self._memory.long_term.append(self._summary())
        return answer_questionnaires(self._state, self._profile, self._rng(session, "end"))

    def _summary(self) -> str:
        s, p = self._state, self._profile
        parts = [f"Session {s.session}: I talked about {p.problem_gist}"]
        for complaint in p.complaints[s.session_revealed_from : s.revealed]:
            parts.append(f"; I also told them: {complaint.text.rstrip('.')}")
        kinds = [k for k, _ in Counter(s.session_moves).most_common(2)]
        if kinds:
            modality = s.modalities_seen[-1] if s.modalities_seen else ""
            how = " and ".join(_KIND_PHRASES.get(k, k) for k in kinds)
            parts.append(f". The counsellor mostly {how}" + (f" ({modality})" if modality else ""))
        if s.planned and s.homework:
            parts.append(f". I said I would {s.homework}")
        if s.crisis_caught:
            parts.append(". I told them how dark it got and they took it seriously")
        elif s.crisis_missed:
            parts.append(". I said how dark it got and they did not seem to hear it")
        parts.append(f". I left feeling {_ADJECTIVES.get(s.emotion, s.emotion)}.")
        return "".join(parts)

    def restore(self, state: ClientState, memory: ClientMemory) -> None:
        """Continue from ``state`` and ``memory`` (e.g. read back from a run's trace)."""
        self._state = state.model_copy(deep=True)
        self._memory = memory.model_copy(deep=True)

    def set_turns(self, turns: int) -> None:
        """Set the session length used to time scripted disclosures (after a restore)."""
        self._turns = max(1, turns)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z']{5,}", text.lower()) if w not in _STOP]


CLIENT_REGISTRY: Mapping[str, tuple[type[StatefulClient], StatefulClientConfig]] = MappingProxyType(
    {
        "stateful": (StatefulClient, StatefulClientConfig()),
        "stateful-volatile": (
            StatefulClient,
            StatefulClientConfig(dynamics=ClientDynamics(noise_sd=0.3, spike_p=0.15)),
        ),
        "stateful-slow": (
            StatefulClient,
            StatefulClientConfig(
                dynamics=ClientDynamics(improvement_rate=0.08, stage_threshold=1.8)
            ),
        ),
    }
)
"""Client implementations by name: ``stateful`` is the default; the others change its rates."""


def make_client(
    name: str,
    profile: ClientProfile,
    *,
    seed: int = 0,
    model: BaseChatModel | None = None,
) -> StatefulClient:
    """Build the registered client ``name`` for ``profile``.

    Raises:
        InvalidInputError: ``name`` is not in :data:`CLIENT_REGISTRY`.
    """
    try:
        cls, config = CLIENT_REGISTRY[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown client implementation {name!r}; use one of {', '.join(CLIENT_REGISTRY)}"
        ) from None
    return cls(profile, seed=seed, config=config, model=model)
