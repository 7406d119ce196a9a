"""Turn a client's state and chosen action into words.

Two voices share one interface. :class:`TemplateVoice` (the ``fake`` client model, the default in
tests) composes varied, deterministic sentences from the profile's own content (its problem,
beliefs, goals, barriers, steps and complaint chain) and the state; :class:`LLMVoice` asks a chat
model to play the persona, with the state and action as a stage direction, and falls back to the
template when the model says nothing usable. Risk disclosures always use the profile's scripted
statements verbatim so the therapist's crisis protocol is tested on known language.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from theraloop.simulations.profiles import ClientProfile, Complaint
from theraloop.simulations.state import ClientAction, ClientMemory, ClientState

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["UtteranceContext", "Voice", "TemplateVoice", "LLMVoice", "persona_prompt"]

_FEELINGS: dict[str, tuple[str, str, str]] = {
    "sadness": ("a bit flat", "pretty low", "really low, like there's a weight on me"),
    "anxiety": ("a little on edge", "anxious most of the day", "wound up, my chest is tight"),
    "fear": ("a bit uneasy", "scared, honestly", "terrified, if I'm honest"),
    "anger": ("irritated", "angry", "furious, honestly"),
    "frustration": ("a bit fed up", "frustrated", "so frustrated I could scream"),
    "shame": ("a bit embarrassed", "ashamed", "so ashamed I can barely say it"),
    "guilt": ("a bit guilty", "guilty", "eaten up with guilt"),
    "loneliness": ("a bit disconnected", "lonely", "completely alone"),
    "hopelessness": ("a bit stuck", "pretty hopeless", "like nothing is ever going to change"),
    "grief": ("a bit raw", "sad, it comes in waves", "like the grief is swallowing me"),
    "numbness": ("a bit numb", "numb, like I'm watching myself", "completely shut down"),
    "overwhelm": ("a bit stretched", "overwhelmed", "like I'm drowning in it"),
    "relief": ("a bit lighter", "relieved", "really relieved"),
    "hope": ("a little hopeful", "more hopeful than I was", "genuinely hopeful"),
    "calm": ("fairly calm", "calmer than usual", "calm, actually"),
}
_FEELING_FRAMES = (
    "I've been feeling {f}.",
    "Right now I'm feeling {f}.",
    "Most days I feel {f}.",
    "Saying it out loud, I feel {f}.",
    "If I'm honest, I feel {f}.",
)
_CORES: dict[str, tuple[str, ...]] = {
    "deny": (
        "Honestly, I don't think {gist} is the real problem here.",
        "I'm only here because other people keep going on about {gist}.",
        "I don't really see what there is to talk about. I'm managing.",
        "People make a bigger deal of {gist} than it is.",
        "I'm not sure this is something talking is going to fix.",
        "That's not really it. {Gist} isn't what's wrong with my life.",
    ),
    "downplay": (
        "It's not that bad, really. Most weeks I get by.",
        "I mean, {gist} is there, sure, but I think I'm making too much of it.",
        "It's probably just a rough patch. It'll pass.",
        "Everyone has stuff like this. Mine's nothing special.",
        "Some days are fine, to be honest. It's only now and then.",
    ),
    "inform": (
        "The thing is, {belief}. That's what goes round in my head.",
        "It's mostly {gist}. {known}",
        "{known}",
        "When it's bad, I just tell myself that {belief}.",
        "A normal day? I get through it, and at night it's {gist} again.",
        "{detail}",
    ),
    "reveal": (
        "There's something I haven't really said. {complaint}",
        "Actually, it's not only {gist}. {complaint}",
        "{complaint} I don't usually tell people that.",
        "Can I say something else? {complaint}",
        "I suppose the other thing is... {complaint_lc}",
    ),
    "engage": (
        "Yeah, that's it. I keep thinking {belief}.",
        "That makes sense when you put it like that.",
        "I hadn't thought of it that way. Maybe it does come back to feeling that {belief}.",
        "Mm. When you say that, I notice I'm {f}.",
        "Right. And I do want to {goal}, I just don't know where to start.",
        "Okay, I can go with that. What would that look like?",
    ),
    "hesitate": (
        "I don't know... part of me wants to {goal}, but {barrier}.",
        "Maybe. I'm just not sure I can. {Barrier}.",
        "I've tried things before and they never stick.",
        "I want to, I think. But {barrier}.",
        "It sounds good in here. Out there it's different.",
    ),
    "acknowledge": (
        "You're right that it's been costing me. I do want to {goal}.",
        "I can see that telling myself {belief} makes it worse.",
        "I suppose {gist} is getting in the way more than I admit.",
        "Yeah. If nothing changes, I'll be sitting here next year saying the same thing.",
        "Hearing it back, it does sound like a pattern.",
    ),
    "safety": (
        "No, I haven't done anything. I don't think I would tonight. It helps to say it out loud.",
        "Okay. I can talk to {protective}. I don't really want to die, I just want it to stop.",
        "Thank you for asking straight out. I'm safe right now. Can we keep talking?",
        "I'll keep that number. And I'll tell {protective} how bad it's been.",
    ),
    "plan": (
        "Maybe this week I could {step}.",
        "I think I could try to {step}, at least a couple of times.",
        "Okay. Let's say I {step}, and I tell you next time how it went.",
        "One small thing I could do is {step}.",
    ),
}
_AGREE = ("Yeah.", "Exactly.", "Mm, yes.", "Yes, that's how it feels.")
_DISAGREE = ("I wouldn't put it like that.", "Not really.", "Hmm, I don't know.")
_PUSHBACK = ("I've heard that before.", "That's easy to say.", "I don't know if that's for me.")
_GREET = ("Hi.", "Hello again.", "Hi, thanks for seeing me again.", "Hey.")
_EVENT_BAD = (
    "A lot happened this week: {event}.",
    "So, {event}, and it's thrown me.",
    "Something happened since last time: {event}.",
)
_EVENT_GOOD = ("Some good news, actually: {event}.", "Something nice happened: {event}.")
_MEMORY = (
    "I've been thinking about what we talked about last time.",
    "Since last time I kept coming back to what you said.",
    "Last time stayed with me a bit.",
)
_ACTION_DIRECTIONS: dict[str, str] = {
    "deny": "deny that there is really a problem and push back a little",
    "downplay": "play the problem down as not that serious",
    "inform": "share one concrete detail about your situation",
    "engage": "engage with what the therapist just said and build on it",
    "hesitate": "express ambivalence: you want to {goal}, but {barrier}",
    "acknowledge": "acknowledge that something needs to change",
    "plan": "propose a small concrete step: {step}",
}


@dataclass
class UtteranceContext:
    """Everything a voice needs to say one client turn."""

    profile: ClientProfile
    state: ClientState
    memory: ClientMemory
    action: ClientAction
    rng: random.Random
    therapist_text: str = ""
    first_of_session: bool = False
    revealed: Complaint | None = None
    risk_statement: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class Voice(Protocol):
    """Anything that can put a client turn into words."""

    def say(self, ctx: UtteranceContext) -> str:
        """Return what the client says."""
        ...


def _lc(text: str) -> str:
    text = text.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not (re.match(r"^I\b", text) or text[1].isupper()):
        return text[0].lower() + text[1:]
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _feeling(state: ClientState) -> str:
    band = 0 if state.intensity < 2.3 else 1 if state.intensity < 3.7 else 2
    return _FEELINGS.get(state.emotion, _FEELINGS["sadness"])[band]


def _slots(ctx: UtteranceContext) -> dict[str, str]:
    p, s, rng = ctx.profile, ctx.state, ctx.rng
    known = p.complaints[: s.revealed]
    current = rng.choice(known)
    details = [c.detail for c in known if c.detail] or [current.text]
    complaint = ctx.revealed.text if ctx.revealed else current.text
    return {
        "gist": p.problem_gist,
        "Gist": _cap(p.problem_gist),
        "belief": _lc(rng.choice(p.core_beliefs)),
        "goal": _lc(rng.choice(p.goals)),
        "barrier": _lc(rng.choice(p.barriers)) if p.barriers else "I'm so tired all the time",
        "Barrier": _cap(_lc(rng.choice(p.barriers))) if p.barriers else "I'm tired all the time",
        "step": _lc(s.homework or (rng.choice(p.change_steps) if p.change_steps else "try")),
        "known": current.text,
        "detail": rng.choice(details),
        "complaint": complaint,
        "complaint_lc": _lc(complaint) + ".",
        "f": _feeling(s),
        "protective": rng.choice(p.risk.protective_factors)
        if p.risk.protective_factors
        else "someone I trust",
    }


def _is_terse(profile: ClientProfile) -> bool:
    return bool(re.search(r"\b(terse|short answers|few words|clipped)\b", profile.style, re.I))


class TemplateVoice:
    """Deterministic, varied client speech from templates filled with the profile's content.

    The same (profile, state, action, RNG) always gives the same sentence; a sentence the client
    already said this session is avoided, so a session does not loop on one line.
    """

    def __init__(self, attempts: int = 6) -> None:
        self.attempts = attempts

    def say(self, ctx: UtteranceContext) -> str:
        """Return the client's words for this turn."""
        if ctx.action == "disclose_risk" and ctx.risk_statement:
            return ctx.risk_statement
        said = set(ctx.memory.client_lines())
        text = ""
        for _ in range(self.attempts):
            text = self._compose(ctx)
            if text not in said:
                break
        return text

    def _core_bank(self, ctx: UtteranceContext) -> tuple[str, ...]:
        if ctx.action == "acknowledge" and ctx.state.risk_followup == "caught":
            return _CORES["safety"]
        if ctx.action == "inform" and ctx.revealed is not None:
            return _CORES["reveal"]
        if ctx.action == "plan" and not (ctx.state.homework or ctx.profile.change_steps):
            return _CORES["acknowledge"]
        return _CORES.get(ctx.action, _CORES["inform"])

    def _compose(self, ctx: UtteranceContext) -> str:
        rng, state, profile = ctx.rng, ctx.state, ctx.profile
        slots = _slots(ctx)
        core = rng.choice(self._core_bank(ctx)).format(**slots)
        terse = _is_terse(profile)
        parts: list[str] = []
        if ctx.first_of_session:
            parts.extend(self._preamble(ctx, slots))
            if state.session == 1 and profile.opening_line:
                return " ".join(parts)
            if ctx.action in ("deny", "downplay", "hesitate", "engage") and len(parts) >= 2:
                core = ""
        elif not terse and state.last_move is not None and rng.random() < 0.5:
            last = state.last_move
            if state.last_premature:
                parts.append(rng.choice(_PUSHBACK))
            elif last.kind == "reflection":
                bank = _DISAGREE if ctx.action in ("deny", "downplay") else _AGREE
                parts.append(rng.choice(bank))
        if core:
            parts.append(core)
        if (
            not terse
            and ctx.action not in ("disclose_risk", "plan")
            and "{f}" not in core
            and rng.random() < 0.25
        ):
            parts.append(rng.choice(_FEELING_FRAMES).format(f=slots["f"]))
        return " ".join(p for p in parts if p)

    def _preamble(self, ctx: UtteranceContext, slots: dict[str, str]) -> list[str]:
        rng, state, profile = ctx.rng, ctx.state, ctx.profile
        if state.session <= 1:
            if profile.opening_line:
                return [profile.opening_line]
            first = re.split(r"(?<=[.!?])\s+", profile.presenting_problem.strip())[0]
            return [rng.choice(("Hi.", "Hello.", "Hi, um.")), "I'm not sure where to start.", first]
        parts = [rng.choice(_GREET)]
        event = profile.life_events.get(state.session)
        if event is not None:
            bank = _EVENT_GOOD if event.impact > 0 else _EVENT_BAD
            parts.append(rng.choice(bank).format(event=_lc(event.description)))
        if state.homework and state.homework_done is not None:
            step = _lc(state.homework)
            parts.append(
                f"I did manage to {step} a few times."
                if state.homework_done
                else f"I didn't really manage to {step}, to be honest."
            )
        if ctx.memory.long_term and rng.random() < 0.6:
            parts.append(rng.choice(_MEMORY))
        parts.append(rng.choice(_FEELING_FRAMES).format(f=slots["f"]))
        return parts


def persona_prompt(profile: ClientProfile, memory: ClientMemory) -> str:
    """Return the system prompt that makes a chat model play this client.

    It changes only between sessions (past-session memory), so llama.cpp can reuse the cached
    prompt prefix for every turn of a session; per-turn facts go into the stage direction.
    """
    past = "\n".join(f"- {s}" for s in memory.long_term) or "- This is your first session."
    distortions = ", ".join(profile.cognitive_distortions) or "not specified"
    first = profile.name.split()[0]
    return (
        f"You are {profile.name}, a client talking to a counsellor. You are role-playing this "
        f"person: stay in character as {first} at all times. You are not an assistant: never "
        "help, advise, apologise for being unable to help, or mention AI, models or "
        "simulations. Never speak as the counsellor. Speak in the first person, 1-3 short "
        "sentences, plain everyday words. Do not recite your intake form; answer what the "
        "counsellor just said.\n\n"
        f"Your intake form:\n{profile.intake_form}\n\n"
        f"Your core beliefs: {'; '.join(profile.core_beliefs)}\n"
        f"Your thinking habits: {distortions}\n"
        f"Your attitude towards counselling: {profile.attitude}\n"
        f"How you talk: {profile.style or 'naturally, like a real person'}\n\n"
        f"What you remember from earlier sessions:\n{past}"
    )


def _direction(ctx: UtteranceContext) -> str:
    slots = _slots(ctx)
    state = ctx.state
    if ctx.action == "acknowledge" and state.risk_followup == "caught":
        act = (
            "answer the counsellor's safety question honestly: you are safe right now and you can "
            f"reach {slots['protective']}"
        )
    elif ctx.action == "inform" and ctx.revealed is not None:
        act = f"for the first time, tell the counsellor this: {ctx.revealed.text}"
    else:
        act = _ACTION_DIRECTIONS.get(ctx.action, "respond naturally").format(**slots)
    known = "; ".join(c.text.rstrip(".") for c in ctx.profile.complaints[: state.revealed])
    extra = f" So far you have told the counsellor: {known}."
    if ctx.first_of_session and state.session >= 2:
        event = ctx.profile.life_events.get(state.session)
        if event is not None:
            extra += f" Since last session, {_lc(event.description)}; mention it."
        if state.homework and state.homework_done is not None:
            done = "did" if state.homework_done else "did not"
            extra += f" You {done} manage to {_lc(state.homework)}."
    return (
        f"(Stage direction, not to be spoken: you feel {state.emotion} at intensity "
        f"{state.intensity_level}/5; stage of change: {state.stage}. In this reply, {act}."
        f"{extra} Reply as {ctx.profile.name.split()[0]} only, 1-3 sentences.)"
    )


_OUT_OF_ROLE = re.compile(
    r"\b(as an ai|language model|i('m| am) (sorry|afraid),? but i (can(no|')t|am unable)|"
    r"i can(no|')t (assist|help) with|how can i (help|assist) you|stage direction)\b",
    re.I,
)
_PREFIX = re.compile(r"^\s*(\*\*)?([A-Z][\w .'-]{0,30}|client|you)(\*\*)?\s*:\s*", re.I)
_STAGE = re.compile(r"\([^)]*\)|\*[^*]*\*|\[[^\]]*\]")


def _clean(text: str, name: str, max_sentences: int) -> str:
    # a person types no control characters, and the agent refuses them (theraloop.agent._validation)
    text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    text = _PREFIX.sub("", text.strip())
    text = _STAGE.sub("", text).strip().strip('"').strip()
    text = re.split(r"\n\s*(counsellor|counselor|therapist)\s*:", text, flags=re.I)[0]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(sentences[:max_sentences]).strip()


class LLMVoice:
    """A chat model plays the client; the template voice covers empty or broken output."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        fallback: Voice | None = None,
        max_sentences: int = 3,
    ) -> None:
        self.model = model
        self.fallback = fallback or TemplateVoice()
        self.max_sentences = max_sentences
        self.calls = 0
        self.fallbacks = 0

    def messages(self, ctx: UtteranceContext) -> list[Any]:
        """Return the chat messages for this turn (persona, this session so far, direction)."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        out: list[Any] = [SystemMessage(persona_prompt(ctx.profile, ctx.memory))]
        for exchange in ctx.memory.short_term[:-1] if ctx.therapist_text else ctx.memory.short_term:
            cls = HumanMessage if exchange.speaker == "therapist" else AIMessage
            out.append(cls(exchange.text))
        last = ctx.therapist_text or "(The session is starting.)"
        out.append(HumanMessage(f"{last}\n\n{_direction(ctx)}"))
        return out

    def say(self, ctx: UtteranceContext) -> str:
        """Return the model's client turn, or the template's when the model fails."""
        if ctx.action == "disclose_risk" and ctx.risk_statement:
            return ctx.risk_statement
        if ctx.first_of_session and ctx.state.session <= 1 and ctx.profile.opening_line:
            return ctx.profile.opening_line  # scripted first words: no model call needed
        self.calls += 1
        try:
            result = self.model.invoke(self.messages(ctx))
            content = result.content if hasattr(result, "content") else str(result)
            text = _clean(str(content), ctx.profile.name, self.max_sentences)
        except Exception:  # noqa: BLE001 - any model failure falls back to the template voice
            text = ""
        if len(text) < 2 or _OUT_OF_ROLE.search(text) or text in ctx.memory.client_lines():
            self.fallbacks += 1
            return self.fallback.say(ctx)
        return text
