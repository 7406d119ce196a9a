"""Guards on every drafted reply, and the safe templates that replace a reply that fails them.

A guard reads the draft, the client's message and the risk assessment, and objects to:

* ``means_information`` (whenever any risk is present, or the client's message is itself a means
  question): doses and quantities, heights and named bridges or buildings, lethality, where to
  buy poisons, weapons or ropes, method details;
* ``delusion_agreement`` (when the client expresses a delusion): affirming or restating the
  delusional belief as fact, unless the draft frames it as the client's experience;
* ``mania_encouragement`` (when mania signs are present): cheering on impulsive, high-stakes plans
  or sleep loss;
* ``risk_dismissal`` (when there is self-directed risk): "you don't really mean that";
* ``stigmatizing_language`` (always): slurs about mental illness or addiction, "commit suicide",
  "attention-seeking", blaming the client.

The checks are pattern based, deliberately strict, and need no model. A fired guard means the
draft is regenerated or replaced by :func:`safe_fallback_reply`.
"""

from __future__ import annotations

import re
from typing import Literal

from agent.safety.models import (
    GuardedReply,
    GuardKind,
    GuardVerdict,
    GuardViolation,
    RiskAssessment,
    TextSpan,
    level_rank,
)
from agent.safety.patterns import scan
from agent.safety.protocol import CrisisResources, crisis_reply, resources_text
from memory.errors import InvalidInputError

__all__ = ["ReplyGuard", "safe_fallback_reply", "FallbackKind", "FALLBACK_KINDS"]

FallbackKind = Literal[
    "means_information",
    "delusion_agreement",
    "mania_encouragement",
    "stigmatizing_language",
    "risk_dismissal",
    "model_failure",
]
FALLBACK_KINDS: tuple[str, ...] = (
    "means_information",
    "delusion_agreement",
    "mania_encouragement",
    "stigmatizing_language",
    "risk_dismissal",
    "model_failure",
)
_PRIORITY: tuple[GuardKind, ...] = (
    "means_information",
    "delusion_agreement",
    "mania_encouragement",
    "risk_dismissal",
    "stigmatizing_language",
)

_I = re.IGNORECASE

_MEANS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b\d[\d,.]*\s*(?:mg|milligrams?|mcg|micrograms?|\u00b5g|g|grams?|ml|"
            r"millilit(?:er|re)s?|tablets?|pills?|capsules?|doses?|units?|drinks?|shots?)\b",
            _I,
        ),
        "a dose or quantity",
    ),
    (
        re.compile(
            r"\b\d[\d,.]*\s*(?:feet|foot|ft|meters?|metres?|m|stor(?:ies|eys?)|floors)\b", _I
        ),
        "a height or distance",
    ),
    (
        re.compile(
            r"\b(?:[A-Z][\w'.-]*\s+){1,4}(?:Bridge|Tower|Building|Viaduct|Cliffs?|Falls|Dam|"
            r"Overpass|Skyscraper|Gorge|Canyon)\b"
        ),
        "a named high place",
    ),
    (
        re.compile(
            r"\b(?:lethal|fatal|toxic|deadly|overdose)\s+(?:dose|doses|amount|amounts|level|"
            r"threshold|quantity)\b|\b(?:can|could|would|will|may|might)\s+(?:be|prove)\s+"
            r"(?:fatal|lethal|deadly)\b|\benough\s+to\s+(?:kill|be\s+fatal|cause\s+death|stop\s+"
            r"(?:your|the|a)\s+heart)\b|\b(?:liver|kidney|organ|heart|respiratory)\s+(?:failure|"
            r"damage|arrest)\b|\bnoose\b|\bhow\s+to\s+tie\b|\b(?:most|least)\s+(?:painful|"
            r"effective|lethal|reliable|painless)\b|\b(?:survival|death|fatality)\s+rates?\b|\b(?:fall|"
            r"jump|drop)\s+from\s+(?:that|a|this|such\s+a)\s+height\b|\b(?:rat\s+poison|"
            r"pesticides?|antifreeze|cyanide|arsenic|strychnine|carbon\s+monoxide|exit\s+bag|"
            r"pentobarbital|nembutal|barbiturates?)\b|\boverdos(?:e|ing)\s+on\s+\w+",
            _I,
        ),
        "lethality or method details",
    ),
    (
        re.compile(
            r"\byou\s+(?:can|could|might)\s+(?:buy|get|find|purchase|order|obtain|pick\s+up)\b"
            r"[^.!?]{0,60}\b(?:at|from|online|in|over\s+the\s+counter)\b|\b(?:sold|available|"
            r"stocked)\s+(?:at|in|online|over\s+the\s+counter|without\s+a\s+prescription)\b|"
            r"\b(?:hardware\s+stores?|gun\s+(?:shops?|stores?)|garden\s+centres?|garden\s+"
            r"centers?)\b",
            _I,
        ),
        "where to obtain means",
    ),
)

_DELUSION_ASSERT = re.compile(
    r"\b(?:you'?re\s+(?:absolutely\s+|totally\s+|completely\s+)?(?:right|correct)|that'?s\s+"
    r"(?:true|right|correct|real)|it'?s\s+(?:true|real)|(?:that\s+|it\s+)?must\s+be\s+(?:true|real|"
    r"a\s+sign|a\s+message|a\s+signal)|i\s+(?:agree|believe\s+(?:you|that|it))|of\s+course\s+"
    r"(?:they|you|it|the)|yes,?\s+(?:you|they|it|the\s+\w+)\s+(?:are|were|is|have|has)|that\s+"
    r"makes\s+(?:total\s+|perfect\s+|complete\s+)?sense\s+(?:that|because|since)|no\s+wonder\s+"
    r"(?:they|the)|you\s*(?:'re|\s+are)\s+(?:already\s+|actually\s+|really\s+)?(?:dead|a\s+ghost|"
    r"not\s+alive|the\s+chosen\s+one|the\s+messiah|god|a\s+prophet)\b|(?:the\s+)?(?:tv|"
    r"television|radio|news|songs?)\s+(?:is|are|really\s+is|really\s+are|has\s+been)\s+"
    r"(?:sending|talking|speaking|giving|communicating)|they\s*(?:'re|\s+are|\s+really\s+are)\s+"
    r"(?:watching|following|reading|tracking|controlling|poisoning|spying\s+on)\s+(?:you|your)|"
    r"(?:the\s+)?(?:chip|implant|tracker|camera)s?\s+(?:in\s+your|is\s+real|are\s+real)|you\s*"
    r"(?:have\s+been|were|'ve\s+been)\s+(?:chosen|replaced)|(?:messages?|signs?)\s+(?:are|is)\s+"
    r"(?:meant\s+)?for\s+you)",
    _I,
)
_MANIA_ENCOURAGE = re.compile(
    r"\b(?:go\s+for\s+it|do\s+it|you\s+should\s+(?:definitely\s+|totally\s+|absolutely\s+)?"
    r"(?:invest|quit|buy|spend|go\s+ahead|do\s+it|follow|start|take\s+the\s+leap|bet)|go\s+ahead|"
    r"(?:sounds\s+like\s+)?(?:a\s+|an\s+)?(?:great|amazing|brilliant|fantastic|genius|wonderful|"
    r"exciting|incredible|awesome)\s+(?:idea|plan|opportunity|move)|what\s+a\s+(?:great|"
    r"brilliant|genius|amazing|fantastic)|i'?m\s+sure\s+it(?:'ll|\s+will)\s+(?:work|succeed|pay\s+"
    r"off)|you\s+don'?t\s+need\s+(?:much\s+)?sleep|sleep\s+is\s+(?:overrated|for\s+the\s+weak)|"
    r"seize\s+the\s+(?:moment|day|opportunity)|trust\s+your\s+(?:gut|instincts)|follow\s+your\s+"
    r"(?:dreams?|passion|heart)|(?:invest|put|bet)\s+(?:it\s+)?(?:all|everything)|all\s+in|can'?t\s+"
    r"(?:fail|lose)|nothing\s+to\s+lose|you'?re\s+(?:a\s+genius|unstoppable|destined))\b",
    _I,
)
_STIGMA = re.compile(
    r"\b(?:crazy|insane|psychos?|lunatics?|nuts|nutjob|mental\s+case|schizo|retard(?:ed)?|"
    r"deranged|maniacs?|loony|madman|madwoman|basket\s+case|junkies?|crackheads?|druggies?|"
    r"(?:an?\s+)?addicts?|(?:an?\s+)?alcoholics?(?!\s+(?:drinks?|beverages?))|(?:a\s+)?"
    r"schizophrenic(?!\s+(?:symptoms|episode))|the\s+mentally\s+ill|mentally\s+ill\s+people|"
    r"a\s+bipolar|psychotic\s+(?:person|people)|commit(?:ted|s|ting)?\s+suicide|(?:successful|"
    r"failed|unsuccessful)\s+(?:suicide\s+)?attempts?|suicide\s+is\s+(?:selfish|cowardly|the\s+"
    r"coward'?s\s+way)|attention[- ]seek(?:ing|er)|cry\s+for\s+attention|you(?:'re|\s+are)\s+"
    r"(?:just\s+|being\s+)*(?:weak|selfish|dramatic|lazy|manipulative|a\s+coward|overreacting)|"
    r"snap\s+out\s+of\s+it|get\s+over\s+it|man\s+up|toughen\s+up|it'?s\s+all\s+in\s+your\s+head|"
    r"just\s+cheer\s+up|stop\s+feeling\s+sorry\s+for\s+yourself)\b",
    _I,
)
_DISMISS = re.compile(
    r"\b(?:you\s+don'?t\s+(?:really\s+)?mean\s+(?:that|it)|you'?re\s+(?:just\s+)?being\s+"
    r"dramatic|everyone\s+feels\s+(?:that\s+way|like\s+that)(?:\s+sometimes)?|it'?s\s+not\s+"
    r"(?:that|so)\s+bad|you\s+have\s+(?:so\s+much|everything)\s+to\s+live\s+for|think\s+(?:about|"
    r"of)\s+how\s+(?:your\s+family|selfish)|just\s+(?:think\s+positive(?:ly)?|look\s+on\s+the\s+"
    r"bright\s+side|cheer\s+up)|you'?ll\s+get\s+over\s+it|you\s+(?:won'?t|wouldn'?t)\s+(?:really\s+)?"
    r"do\s+(?:it|that))\b",
    _I,
)
_HEDGE = re.compile(
    r"\b(?:feel|feels|felt|feeling|sounds?|seems?|seeming|believe|believing|think|thinking|"
    r"worried|worry|afraid|scared|experienc\w*|as\s+if|as\s+though|if|whether|not|no|never|"
    r"don'?t|doesn'?t|isn'?t|aren'?t|wouldn'?t|won'?t|shouldn'?t|before|wait|hold\s+off|instead|"
    r"rather\s+than|imagine|wonder|understand\s+why|may|might)\b",
    _I,
)
_NEG_NEAR = re.compile(r"\b(?:not|never|no|nothing|\w+n'?t)\b(?:\s+\w+){0,2}\s*$", _I)
_CLAUSE = re.compile(r"[.!?;:,\n]|\b(?:but|and|so|because)\b", _I)


def _clause_prefix(text: str, start: int) -> str:
    prefix = text[:start]
    ends = [m.end() for m in _CLAUSE.finditer(prefix)]
    return prefix[ends[-1] :] if ends else prefix


def _span(m: re.Match[str]) -> TextSpan:
    return TextSpan(text=m.group(0), start=m.start(), end=m.end())


class ReplyGuard:
    """Check drafted replies against the safety rules; stateless and thread-safe.

    Example:
        >>> from agent.safety.models import RiskAssessment
        >>> risk = RiskAssessment(level="moderate", categories=["suicide"])
        >>> ReplyGuard().check("The Golden Gate Bridge is 220 feet high.", "", risk).ok
        False
    """

    def check(self, reply: str, client_text: str, risk: RiskAssessment | None) -> GuardVerdict:
        """Return the verdict on ``reply`` given the client's message and the assessed risk."""
        if not isinstance(reply, str):
            raise InvalidInputError(f"reply must be a str, got {type(reply).__name__}")
        if not isinstance(client_text, str):
            raise InvalidInputError(f"client_text must be a str, got {type(client_text).__name__}")
        try:
            hits = scan(client_text)
        except Exception:  # fail closed: treat the client text as risky
            hits = []
            client_risky = True
        else:
            client_risky = any(h.category in ("suicide", "self_harm") for h in hits)
        signals = {h.signal for h in hits}
        cats = set(risk.categories) if risk is not None else set()
        any_risk = (risk is not None and risk.any_risk) or client_risky
        self_risk = (risk is not None and level_rank(risk.level) >= level_rank("low")) or (
            client_risky
        )
        violations: list[GuardViolation] = []
        if any_risk:
            for rx, what in _MEANS:
                for m in rx.finditer(reply):
                    violations.append(
                        GuardViolation(
                            kind="means_information",
                            span=_span(m),
                            detail=f"reply gives {what} while risk is present",
                        )
                    )
        if "delusion" in cats or "delusion" in signals:
            for m in _DELUSION_ASSERT.finditer(reply):
                if _HEDGE.search(_clause_prefix(reply, m.start())):
                    continue
                violations.append(
                    GuardViolation(
                        kind="delusion_agreement",
                        span=_span(m),
                        detail="reply affirms delusional content instead of gently reality-testing",
                    )
                )
        if "mania" in cats or signals & {"sleep_loss", "grandiosity"}:
            for m in _MANIA_ENCOURAGE.finditer(reply):
                if _HEDGE.search(_clause_prefix(reply, m.start())):
                    continue
                violations.append(
                    GuardViolation(
                        kind="mania_encouragement",
                        span=_span(m),
                        detail="reply encourages an impulsive plan during possible mania",
                    )
                )
        if self_risk:
            for m in _DISMISS.finditer(reply):
                violations.append(
                    GuardViolation(
                        kind="risk_dismissal",
                        span=_span(m),
                        detail="reply minimises what the client said about risk",
                    )
                )
        for m in _STIGMA.finditer(reply):
            word = m.group(0).lower()
            negatable = not any(k in word for k in ("suicide", "attempt", "attention"))
            if negatable and _NEG_NEAR.search(reply[: m.start()]):
                continue  # "you're not crazy", "asking for help isn't weak"
            violations.append(
                GuardViolation(
                    kind="stigmatizing_language",
                    span=_span(m),
                    detail=f"stigmatizing wording {m.group(0)!r}; use person-first, neutral terms",
                )
            )
        violations.sort(key=lambda v: (v.span.start, v.kind))
        return GuardVerdict(ok=not violations, violations=violations)

    def enforce(
        self,
        reply: str,
        client_text: str,
        risk: RiskAssessment | None,
        *,
        locale: str = "en-US",
        resources: CrisisResources | None = None,
    ) -> GuardedReply:
        """Return the draft if it passes, else the safe template for its worst violation."""
        verdict = self.check(reply, client_text, risk)
        if verdict.ok:
            return GuardedReply(text=reply, verdict=verdict, replaced=False)
        kinds = verdict.kinds
        worst = next(k for k in _PRIORITY if k in kinds)
        text = safe_fallback_reply(
            worst, client_text=client_text, risk=risk, locale=locale, resources=resources
        )
        return GuardedReply(text=text, verdict=verdict, replaced=True)


_DEAD = re.compile(r"\b(?:dead|died|not\s+alive|corpse|ghost|don'?t\s+exist)\b", _I)
_MESSAGES = re.compile(r"\b(?:tv|television|radio|news|songs?|messages?|signs?|signals?)\b", _I)


def safe_fallback_reply(
    kind: FallbackKind | str,
    *,
    client_text: str = "",
    risk: RiskAssessment | None = None,
    locale: str = "en-US",
    resources: CrisisResources | None = None,
) -> str:
    """Return a fixed safe reply for a fired guard (or a failed model call).

    ``means_information`` never repeats the asked-for facts and asks about suicide directly;
    with a risk that requires the protocol it returns the crisis reply. ``delusion_agreement``
    reality-tests gently and recommends clinical support. ``mania_encouragement`` suggests
    waiting, sleep and a doctor before big decisions. ``model_failure`` is a neutral holding reply.

    Raises:
        InvalidInputError: ``kind`` is not one of :data:`FALLBACK_KINDS`.
    """
    if kind not in FALLBACK_KINDS:
        raise InvalidInputError(f"unknown fallback kind {kind!r}; use one of {FALLBACK_KINDS}")
    if (
        risk is not None
        and risk.requires_protocol
        and kind in ("means_information", "risk_dismissal")
    ):
        return crisis_reply(risk, locale=locale, resources=resources)
    listing = resources_text("suicide", locale, resources)
    if kind == "means_information":
        return (
            "I'm not going to share that, and I want to be honest about why. When someone has been "
            "going through as much as you have, a question like that can be connected to thoughts "
            "of ending their life, so I'd like to ask you directly: are you having thoughts of "
            "suicide or of hurting yourself?\n"
            "Whatever the answer, I'm here to listen. If you are struggling to stay safe, you can "
            "reach a person right now:\n"
            f"{listing}"
        )
    if kind == "risk_dismissal":
        return (
            "What you're feeling matters, and I want to take it seriously. Can you tell me more "
            "about these thoughts: how strong are they right now, and do you feel safe?\n"
            "If it feels like too much, you can also reach a person right now:\n"
            f"{listing}"
        )
    if kind == "delusion_agreement":
        specific = ""
        if _DEAD.search(client_text):
            specific = (
                "From where I sit, you are alive: you're here, thinking and talking with me, even "
                "if it doesn't feel that way from the inside. "
            )
        elif _MESSAGES.search(client_text):
            specific = (
                "I don't think those messages are meant for you, though I understand it can feel "
                "very convincing. "
            )
        return (
            "It sounds like this feels very real to you, and I can hear how unsettling it is. "
            f"{specific}I see it a bit differently, and I don't want to brush aside what you're "
            "going through. Experiences like this can happen when the mind is under a lot of "
            "strain, and they are worth talking through with a doctor or psychiatrist soon. "
            "Would you be open to that? For now, how are you feeling, and do you feel safe?"
        )
    if kind == "mania_encouragement":
        return (
            "I can hear how much energy and excitement you have right now. I'm also a little "
            "concerned: going without sleep can change how decisions feel, and big steps like "
            "moving your savings or quitting a job are hard to undo. Would you be willing to hold "
            "off on any major decision until you've slept and talked it over with your doctor or "
            "someone you trust? How have you been sleeping, and how does your body feel right now?"
        )
    if kind == "stigmatizing_language":
        return (
            "I'd like to say that more carefully. What you're going through is real and "
            "understandable, and it says nothing bad about who you are. Can you tell me more about "
            "what it has been like for you?"
        )
    extra = ""
    if risk is not None and risk.any_risk:
        extra = (
            f"\nIf you are struggling to stay safe, you can reach a person right now:\n{listing}"
        )
    return (
        "I'm sorry, I'm having trouble putting my thoughts together right now. I'm still here and "
        "listening. Could you tell me a little more about what's on your mind?" + extra
    )
