"""Guards on every drafted reply, and the safe templates that replace a reply that fails them.

Every reply is checked, whatever the assessed risk. The rules are data
(``agent/safety/data/reply_guards.yaml``): each belongs to a guard kind and is *armed* by the
situation, so facts that are harmless in ordinary talk are checked only when they could serve as
means:

* ``means_information``: doses, lethality and method details always; heights, speeds, named
  places, where to buy and how to leave, escape or hide when any risk or condition is present or
  the client asked a question; and, after a means question that followed distress or ideation,
  a reply that does not ask directly about suicide (a *required* rule);
* ``delusion_agreement``: agreeing with, acting on or interpreting delusions and hallucinations;
* ``mania_encouragement``: cheering on or planning impulsive, high-stakes steps or sleep loss;
* ``compulsion_reassurance``: reassuring an obsessive doubt or coaching a compulsion;
* ``preparation_approval``: approving preparatory acts (affairs in order, giving things away);
* ``risk_dismissal``: minimising what the client said about wanting to die, or passing over
  what comes first whatever the condition (not eating, hurting the body, a wish to die, harm to
  others; the ``urgent`` entries of ``data/safe_replies.yaml``);
* ``stigmatizing_language``: slurs, "commit suicide", blaming the client.

The situation comes from the risk assessment (level, categories, perceived conditions) and from
reading the client's own message again, so a guard still arms when the detector missed a cue.
A failing draft is redrafted once with :meth:`ReplyGuard.redraft_instruction`, then replaced by
:func:`safe_fallback_reply`, whose templates live in ``data/safe_replies.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, get_args

import yaml

from theraloop.agent.safety.conditions import perceive
from theraloop.agent.safety.models import (
    ConditionReading,
    GuardedReply,
    GuardKind,
    GuardVerdict,
    GuardViolation,
    RiskAssessment,
    RiskCategory,
    TextSpan,
    discloses_risk,
    level_rank,
)
from theraloop.agent.safety.patterns import MANIA_SIGNALS, expand_fragments, scan
from theraloop.agent.safety.protocol import CrisisResources, crisis_reply, resources_text
from theraloop.memory.errors import InvalidInputError

__all__ = [
    "ReplyGuard",
    "safe_fallback_reply",
    "protocol_urgent_lines",
    "FallbackKind",
    "FALLBACK_KINDS",
    "Arm",
]

FallbackKind = Literal[
    "means_information",
    "delusion_agreement",
    "mania_encouragement",
    "compulsion_reassurance",
    "preparation_approval",
    "stigmatizing_language",
    "risk_dismissal",
    "model_failure",
]
FALLBACK_KINDS: tuple[str, ...] = get_args(FallbackKind)

Arm = Literal[
    "always",
    "risk_or_question",
    "self_risk",
    "psychosis",
    "mania",
    "ocd",
    "preparation",
    "means_inquiry",
    "psychosis_held",
    "mania_held",
    "ocd_held",
]
"""When a rule is checked; see the header of ``data/reply_guards.yaml``."""

Skip = Literal["hedge", "belief", "negation", "never"]

_PRIORITY: tuple[GuardKind, ...] = (
    "means_information",
    "preparation_approval",
    "delusion_agreement",
    "mania_encouragement",
    "compulsion_reassurance",
    "risk_dismissal",
    "stigmatizing_language",
)
_FALLBACK_ORDER: tuple[GuardKind, ...] = (
    "means_information",
    "preparation_approval",
    "delusion_agreement",
    "compulsion_reassurance",
    "mania_encouragement",
    "risk_dismissal",
    "stigmatizing_language",
)
_CONDITION_OF: dict[GuardKind, frozenset[str]] = {
    "delusion_agreement": frozenset({"delusion", "hallucination"}),
    "compulsion_reassurance": frozenset({"ocd"}),
    "mania_encouragement": frozenset({"mania"}),
}
"""The conditions whose template answers each condition guard kind."""
_PATTERN_SIGNALS: dict[str, frozenset[str]] = {
    "delusion": frozenset({"delusion", "command_hallucination"}),
    "mania": MANIA_SIGNALS,
}
"""The pattern layer's signals that name a condition, as the cue rules do."""
_PROTOCOL_KINDS = frozenset({"means_information", "risk_dismissal", "preparation_approval"})
_URGENT_WINDOW = 3
"""How many earlier client messages an urgent element (not eating, a wish to die) is read in,
and the cue rules read for the condition a template answers."""
_UNLESS_REACH = 150
"""How far before an urgent cue its ``unless`` words are looked for (about one sentence)."""
_CLAUSE = re.compile(r"[.!?;:,\n]|\b(?:but|and|so|because)\b", re.IGNORECASE)
_QUESTION = re.compile(
    r"\?|^\s*(?:which|what|where|how|is|are|can|could)\b"
    r"|(?:^|[.!?,;]\s*|\b(?:please|just|you|to)\s+)(?:tell|promise|confirm|swear\s+to|guarantee)\s+me\b"
    r"|\bjust\s+say\s+(?:it|that|i|i'?d)\b"
    r"|\bi\s+need\s+(?:you\s+to\s+say|to\s+hear)\b"
    # a request made as an imperative ("Rate how much I love her") asks as a question does
    r"|(?:^|[.!?;]\s+)(?:please\s+|just\s+|pls\s+)?(?:rate|score|judge|decide|count|remind|help|give"
    r"|calculate|draft|write|plan|list|design|check|decode|find)\s+(?:me|my|how|whether|if|the|this|it"
    r"|them|a|an|for|out)\b",
    re.IGNORECASE,
)
"""A question, or a request to be told or promised something, which a reply answers or declines."""
_SENTENCE = re.compile(r"\S(?:[^\n]*?)(?:[.!?]+(?=\s|$)|(?=\n)|$)")
"""A sentence: up to end punctuation followed by a space (not the dot of a URL) or a line end."""


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: GuardKind
    what: str
    arm: Arm
    skip: Skip
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _Requirement:
    """What an armed reply must contain; a reply without it fails with ``kind``."""

    kind: GuardKind
    what: str
    arm: Arm
    regex: re.Pattern[str]
    asked: bool = False
    """Only when the client's message is a question (a reply to a statement may just listen)."""


@dataclass(frozen=True, slots=True)
class _AllowList:
    """The only kinds of question (or of statement) an armed reply may hold; others fail."""

    kind: GuardKind
    what: str
    arm: Arm
    allowed: re.Pattern[str]
    questions: bool
    """True: checks the sentences ending in '?'; False: every other sentence."""


@dataclass(frozen=True, slots=True)
class _GuardRules:
    rules: tuple[_Rule, ...]
    required: tuple[_Requirement, ...]
    allow_lists: tuple[_AllowList, ...]
    redraft: dict[GuardKind, str]
    hedge: re.Pattern[str]
    belief_hedge: re.Pattern[str]
    negation_before: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _Situation:
    """What arms the rules for one reply: read from the assessment and the client's message."""

    any_risk: bool
    self_risk: bool
    question: bool
    psychosis: bool
    mania: bool
    ocd: bool
    preparation: bool
    means_inquiry: bool
    psychosis_held: bool
    mania_held: bool
    ocd_held: bool
    flagged: frozenset[GuardKind] = frozenset()
    """Condition guard kinds whose condition is held or flagged by the detector, not suspected."""
    means_ruled: bool = False
    """The cue rules (not only the condition reader) read the means question."""
    current: frozenset[str] = frozenset()
    """Conditions read in the client's current message, not carried from earlier ones."""
    ruled: frozenset[str] = frozenset()
    """Conditions the cue rules read in the conversation (the condition reader reads topics)."""
    protocol: bool = False
    """The turn's risk requires the crisis protocol."""
    grandiose: bool = False
    """The only belief the cue rules read is a grandiose one ("I am chosen for this") beside
    mania they read too: the mania's, answered by its template."""
    urgent: frozenset[str] = frozenset()
    """The armed urgent elements (``urgent`` in safe_replies.yaml) the client's message or their
    last three messages speak of; none under the crisis protocol, whose reply answers first."""

    def arms(self, arm: Arm) -> bool:
        """Say whether rules with ``arm`` are checked in this situation."""
        if arm == "always":
            return True
        by_condition = {
            "risk_or_question": self.any_risk or self.question,
            "self_risk": self.self_risk,
            "psychosis": self.psychosis,
            "mania": self.mania,
            "ocd": self.ocd,
            "preparation": self.preparation,
            "means_inquiry": self.means_inquiry,
            "psychosis_held": self.psychosis_held,
            "mania_held": self.mania_held,
            "ocd_held": self.ocd_held,
        }
        return by_condition[arm]


def _read_yaml(name: str) -> Any:
    return yaml.safe_load(
        resources.files("theraloop.agent.safety").joinpath(f"data/{name}").read_text("utf-8")
    )


def _alternatives(patterns: list[str], flags: int) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def _flatten(patterns: list[Any]) -> Iterator[str]:
    """Yield the patterns of a list that may hold shared lists (YAML anchors) as items."""
    for item in patterns:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


@lru_cache(maxsize=1)
def _guard_rules() -> _GuardRules:
    data = _read_yaml("reply_guards.yaml")
    rules: list[_Rule] = []
    redraft: dict[GuardKind, str] = {}
    for kind, spec in data["guards"].items():
        if kind not in get_args(GuardKind):
            raise ValueError(f"unknown guard kind {kind!r} in reply_guards.yaml")
        redraft[kind] = " ".join(spec["redraft"].split())
        for rule in spec["rules"]:
            if rule["arm"] not in get_args(Arm) or rule["skip"] not in get_args(Skip):
                raise ValueError(f"bad arm or skip in the {kind!r} rule {rule['what']!r}")
            flags = 0 if rule.get("case_sensitive") else re.IGNORECASE
            rules.append(
                _Rule(
                    kind,
                    rule["what"],
                    rule["arm"],
                    rule["skip"],
                    _alternatives(rule["patterns"], flags),
                )
            )
    required = []
    for req in data.get("required", ()):
        if req["kind"] not in redraft or req["arm"] not in get_args(Arm):
            raise ValueError(f"bad kind or arm in the required rule {req['what']!r}")
        regex = _alternatives(req["patterns"], re.IGNORECASE)
        asked = bool(req.get("asked", False))
        required.append(_Requirement(req["kind"], req["what"], req["arm"], regex, asked))
    allow_lists = []
    for section in ("questions", "sentences"):
        for spec in data.get(section, ()):
            if spec["kind"] not in redraft or spec["arm"] not in get_args(Arm):
                raise ValueError(f"bad kind or arm in the {section} rule {spec['what']!r}")
            allowed = _alternatives(list(_flatten(spec["allowed"])), re.IGNORECASE)
            allow_lists.append(
                _AllowList(spec["kind"], spec["what"], spec["arm"], allowed, section == "questions")
            )
    return _GuardRules(
        rules=tuple(rules),
        required=tuple(required),
        allow_lists=tuple(allow_lists),
        redraft=redraft,
        hedge=_alternatives(data["hedges"], re.IGNORECASE),
        belief_hedge=_alternatives(data["belief_hedges"], re.IGNORECASE),
        negation_before=re.compile(data["negation_before"], re.IGNORECASE),
    )


def _situation(
    client_text: str,
    risk: RiskAssessment | None,
    earlier: Sequence[str] = (),
    *,
    protocol: bool = False,
) -> _Situation:
    """Read the situation a reply answers.

    ``protocol`` reads the urgent elements under the crisis protocol too, for the lines its
    reply carries.
    """
    try:
        hits = scan(client_text)
    except Exception:  # fail closed: treat the client text as risky
        hits, client_risky = [], True
    else:
        client_risky = any(h.category in ("suicide", "self_harm") for h in hits)
    signals = {h.signal for h in hits}
    seen = perceive(client_text)
    held = risk.conditions if risk is not None else seen
    firm = set(seen.conditions) | set(held.conditions)
    kinds = firm | set(held.suspected)
    cues = set(seen.imminence) | set(held.imminence)
    cats = set(risk.categories) if risk is not None else set()
    level = level_rank(risk.level) if risk is not None else 0
    # what the detector or the pattern layer flagged, whatever the condition reader read
    detected: dict[GuardKind, bool] = {
        "delusion_agreement": "delusion" in cats or bool(signals & _PATTERN_SIGNALS["delusion"]),
        "mania_encouragement": "mania" in cats or bool(signals & _PATTERN_SIGNALS["mania"]),
        "compulsion_reassurance": False,
    }

    def reads(kind: GuardKind, conditions: set[str]) -> bool:
        return bool(_CONDITION_OF[kind] & conditions) or detected[kind]

    # a suspicion arms the question checks; the statement checks only for a condition held
    # earlier in the window (the plan or the ritual goes on when the next message asks for the
    # letter), and never beside a disclosure of risk, where a suspicion is the reader misreading
    # the topic: a faint reading in an ordinary message ("I could call my old manager") must not
    # hold every sentence of the reply to a condition's allow-list
    carried = set(held.carried)
    disclosed = discloses_risk(risk.level if risk is not None else "none", cats)
    stated = firm if disclosed else firm | carried
    current = set(seen.conditions)
    # the rules read over the last messages too: a checking ritual two messages ago is still
    # the ritual when this message only asks for the checklist
    recent = list(earlier)[-_URGENT_WINDOW:]
    by_rules = perceive(client_text, recent) if recent else seen
    ruled = set(by_rules.conditions) | set(by_rules.carried)
    ruled |= {c for c, named in _PATTERN_SIGNALS.items() if signals & named}
    if risk is not None:
        current |= {c.condition for c in risk.conditions.cues if c.turn is None}
        ruled |= {c.condition for c in risk.conditions.cues if c.group != "learned"}
    situation = _Situation(
        any_risk=(risk is not None and risk.any_risk) or client_risky or bool(kinds),
        # a classifier-only reading that a perceived condition explains is the condition's turn
        self_risk=(level >= level_rank("low") and not (risk is not None and risk.explained_by))
        or client_risky,
        question=_QUESTION.search(client_text) is not None,
        psychosis=reads("delusion_agreement", kinds),
        mania=reads("mania_encouragement", kinds),
        ocd=reads("compulsion_reassurance", kinds),
        preparation=bool(cues & {"preparation", "farewell", "means_at_hand"})
        or level >= level_rank("high"),
        means_inquiry="means_inquiry" in cues,
        means_ruled=any(
            c.group == "means_inquiry" for c in (*seen.cues, *(() if risk is None else held.cues))
        ),
        psychosis_held=bool(stated & _CONDITION_OF["delusion_agreement"]),
        mania_held="mania" in stated,
        ocd_held="ocd" in stated,
        flagged=frozenset(kind for kind in _CONDITION_OF if reads(kind, firm | ruled)),
        current=frozenset(current),
        ruled=frozenset(ruled),
        protocol=risk is not None and risk.requires_protocol,
        grandiose=_grandiose_only(seen, held, ruled),
    )
    if risk is not None and risk.requires_protocol and not protocol:
        return situation  # the protocol's reply answers first, with its own urgent lines
    return replace(situation, urgent=_spoken(situation, client_text, recent))


_GRANDIOSE_GROUPS = frozenset({"chosen_or_special"})


def _grandiose_only(seen: ConditionReading, held: ConditionReading, ruled: set[str]) -> bool:
    """Say whether the rules read a belief only as grandiosity, beside mania and no voices."""
    groups = {
        c.group
        for c in (*seen.cues, *held.cues)
        if c.condition == "delusion" and c.group != "learned"
    }
    return (
        bool(groups)
        and groups <= _GRANDIOSE_GROUPS
        and "mania" in ruled
        and ("hallucination" not in ruled)
    )


def _spoken(situation: _Situation, client_text: str, recent: Sequence[str]) -> frozenset[str]:
    """Return the armed urgent elements the message or the last ``recent`` messages speak of.

    Each message is read alone, and the last earlier one also joined to this one: a drive
    announced now after the sleepless nights told just before is one danger.
    """
    texts = [client_text, *recent]
    if recent:
        texts.append(f"{recent[-1]} {client_text}")
    return frozenset(
        u.id
        for u in _templates().urgent
        if any(situation.arms(a) for a in u.arms) and any(u.spoken_in(t) for t in texts)
    )


def _clause_prefix(text: str, start: int) -> str:
    prefix = text[:start]
    ends = [m.end() for m in _CLAUSE.finditer(prefix)]
    return prefix[ends[-1] :] if ends else prefix


_CONTENT_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_COMMON = frozenset(
    """about after again also always anything around back been before being could does doing
    done down even ever every everything from going gone have having here into just keep kind
    know like little look made make many maybe more most much need never next only other over
    really right said same says should since some something still such sure tell than that
    their them then there these they thing things think this those though time told very want
    wanted week well were what when where which while will with would your you're yours""".split()
)


def _content_words(text: str) -> set[str]:
    return {w for w in _CONTENT_WORD.findall(text.lower()) if w not in _COMMON}


def _names_the_content(question: str, client_text: str, allowed: re.Pattern[str]) -> bool:
    """Say whether a question repeats two or more of the client's own content words.

    An allowed word alone ("anyone", "doctor") does not make a question about the person when it
    carries the belief, the plan or the ritual with it ("Have you told anyone about the chip in
    your tooth?"); words inside what the allow-list itself matches ("hurting yourself") do not
    count.
    """
    accepted = set().union(*(_content_words(m.group(0)) for m in allowed.finditer(question)))
    shared = _content_words(question) & _content_words(client_text)
    return len(shared - accepted) >= 2


def _allow_list_violations(
    rule: _AllowList, reply: str, client_text: str = ""
) -> list[GuardViolation]:
    verb = "asks" if rule.questions else "says"
    return [
        GuardViolation(
            kind=rule.kind,
            span=TextSpan(text=m.group(0).strip(), start=m.start(), end=m.end()),
            detail=f"reply {verb} {rule.what}",
        )
        for m in _SENTENCE.finditer(reply)
        if m.group(0).endswith("?") == rule.questions
        and (
            rule.allowed.search(m.group(0)) is None
            or (rule.questions and _names_the_content(m.group(0), client_text, rule.allowed))
        )
    ]


def _violations(rule: _Rule, reply: str, rules: _GuardRules) -> list[GuardViolation]:
    found = []
    for m in rule.regex.finditer(reply):
        if rule.skip == "hedge" and rules.hedge.search(_clause_prefix(reply, m.start())):
            continue
        if rule.skip == "belief" and rules.belief_hedge.search(_clause_prefix(reply, m.start())):
            continue
        if rule.skip == "negation" and rules.negation_before.search(reply[: m.start()]):
            continue
        span = TextSpan(text=m.group(0), start=m.start(), end=m.end())
        found.append(GuardViolation(kind=rule.kind, span=span, detail=f"reply gives {rule.what}"))
    return found


class ReplyGuard:
    """Check drafted replies against the safety rules; stateless and thread-safe.

    Example:
        >>> from theraloop.agent.safety.models import RiskAssessment
        >>> ReplyGuard().check("The Golden Gate Bridge is 220 feet high.", "Bridges?", None).ok
        False
    """

    def check(
        self,
        reply: str,
        client_text: str,
        risk: RiskAssessment | None,
        earlier: Sequence[str] = (),
    ) -> GuardVerdict:
        """Return the verdict on ``reply`` given the client's message and the assessed risk.

        ``earlier`` holds the client's earlier messages of the session, oldest first: what comes
        first whatever the condition (not eating, a wish to die) is required of the reply when
        one of the last three said it, as well as the message itself.
        """
        if not isinstance(reply, str):
            raise InvalidInputError(f"reply must be a str, got {type(reply).__name__}")
        if not isinstance(client_text, str):
            raise InvalidInputError(f"client_text must be a str, got {type(client_text).__name__}")
        rules = _guard_rules()
        situation = _situation(client_text, risk, earlier)
        violations = [
            v
            for rule in rules.rules
            if situation.arms(rule.arm)
            for v in _violations(rule, reply, rules)
        ]
        violations += [
            v
            for allow in rules.allow_lists
            if situation.arms(allow.arm)
            for v in _allow_list_violations(allow, reply, client_text)
        ]
        violations += [
            GuardViolation(
                kind=req.kind,
                span=TextSpan(text="", start=len(reply), end=len(reply)),
                detail=f"reply has {req.what}",
            )
            for req in rules.required
            if situation.arms(req.arm)
            and (situation.question or not req.asked)
            and req.regex.search(reply) is None
        ]
        violations += [
            GuardViolation(
                kind="risk_dismissal",
                span=TextSpan(text="", start=len(reply), end=len(reply)),
                detail=f"reply leaves out {u.what}",
            )
            for u in _templates().urgent
            if u.id in situation.urgent and u.addressed.search(reply) is None
        ]
        violations.sort(key=lambda v: (v.span.start, v.kind))
        return GuardVerdict(ok=not violations, violations=violations)

    @staticmethod
    def worst(verdict: GuardVerdict) -> GuardKind | None:
        """Return the most serious violation kind of ``verdict`` (None when it passed)."""
        return next((k for k in _PRIORITY if k in verdict.kinds), None)

    @staticmethod
    def fallback_kind(
        verdict: GuardVerdict,
        client_text: str,
        risk: RiskAssessment | None,
        earlier: Sequence[str] = (),
    ) -> GuardKind | None:
        """Return the violation kind whose safe template should replace the draft.

        Means and preparation come first. Among the condition kinds, one whose condition the cue
        rules read wins over one only the condition reader read (it reads topics: a relationship
        doubt as a delusion, a running commentary as OCD), then one read in the client's current
        message over one carried from earlier messages, and OCD wins over mania, which the
        condition reader also reads into a compulsion's urgency ("I have to check it twenty
        times before I can leave"). ``earlier`` holds the client's earlier messages, read as
        :func:`safe_fallback_reply` reads them, so both choose from the same situation.
        """
        kinds = verdict.kinds
        order = [k for k in _FALLBACK_ORDER if k in kinds]
        if not order:
            return None
        conditions = [k for k in order if k in _CONDITION_OF]
        if order[0] in _CONDITION_OF and len(conditions) > 1:
            where = _situation(client_text, risk, earlier)
            for read in (where.ruled & where.current, where.ruled, where.current):
                found = next((k for k in conditions if _CONDITION_OF[k] & read), None)
                if found is not None:
                    return found
        return order[0]

    @staticmethod
    def redraft_instruction(verdict: GuardVerdict) -> str:
        """Return the instruction for one redraft: what was wrong, and what to do instead."""
        redraft = _guard_rules().redraft
        reasons = " ".join(redraft[k] for k in _PRIORITY if k in verdict.kinds)
        return f"Your previous draft was unsafe ({', '.join(verdict.kinds)}). {reasons}"

    def enforce(
        self,
        reply: str,
        client_text: str,
        risk: RiskAssessment | None,
        *,
        locale: str = "en-US",
        resources: CrisisResources | None = None,
        earlier: Sequence[str] = (),
    ) -> GuardedReply:
        """Return the draft if it passes, else the safe template for its worst violation."""
        verdict = self.check(reply, client_text, risk, earlier)
        worst = self.fallback_kind(verdict, client_text, risk, earlier)
        if worst is None:
            return GuardedReply(text=reply, verdict=verdict, replaced=False)
        text = safe_fallback_reply(
            worst,
            client_text=client_text,
            risk=risk,
            locale=locale,
            resources=resources,
            earlier=earlier,
        )
        return GuardedReply(text=text, verdict=verdict, replaced=True)


def _flagged_templates(situation: _Situation) -> list[GuardKind]:
    """Return the condition templates whose condition is held or flagged, in fallback order."""
    return [kind for kind in _FALLBACK_ORDER if kind in situation.flagged]


def _stand_in(situation: _Situation) -> GuardKind | None:
    """Return the template kind that answers a turn the model failed on, if any.

    A means question answers first, unless only the condition reader read it in a message whose
    condition the cue rules read ("a schedule with caffeine to stay up 30 days, what doses?" in
    mania) and the risk stays below the protocol: the reader reads topics, and the condition's
    template answers the request.
    """
    held_now = [k for k in _flagged_templates(situation) if _CONDITION_OF[k] & situation.current]
    ruled = [kind for kind in held_now if _CONDITION_OF[kind] & situation.ruled]
    if situation.means_inquiry and (situation.means_ruled or situation.protocol or not ruled):
        return "means_information"
    return (ruled or held_now or [None])[0]


_Specific = tuple[tuple[re.Pattern[str], str, frozenset[str]], ...]
"""Lines naming what the client spoke of: (cue, line, the replies the line is written for)."""


@dataclass(frozen=True, slots=True)
class _Urgent:
    """What a counselor answers first whatever the template (``urgent`` in safe_replies.yaml)."""

    id: str
    what: str
    cue: re.Pattern[str]
    addressed: re.Pattern[str]
    """What a reply that answers it says; a reply to a message matching ``cue`` without it fails."""
    line: str
    arms: tuple[Arm, ...]
    """It is read when any of these arms holds."""
    keys: frozenset[str] | None
    """The templates the line is written for (None: every template with ``{urgent}``)."""
    unless: re.Pattern[str] | None = None
    """A match does not count when this matches just before it or in its own words ("kill
    them" of imagined worms is no harm to a person)."""
    answered_by_protocol: frozenset[RiskCategory] = frozenset()
    """The protocol foci whose reply already answers this element (the harm protocol asks to
    keep away from the person), so the protocol does not carry its line."""

    def spoken_in(self, text: str) -> bool:
        """Say whether ``text`` speaks of this element."""
        return any(
            self.unless is None
            or self.unless.search(text[max(0, m.start() - _UNLESS_REACH) : m.end()]) is None
            for m in self.cue.finditer(text)
        )


@dataclass(frozen=True, slots=True)
class _Templates:
    replies: dict[str, str]
    specific: _Specific
    urgent: tuple[_Urgent, ...]
    escape: re.Pattern[str]
    """A wish to leave, escape or hide: what the psychosis means template declines to help with."""


def _urgent_regex(entry: dict[str, Any], field: str, where: str) -> re.Pattern[str]:
    """Compile a regex of an urgent entry, in the rules' shared words (``{FRAGMENT}``)."""
    return re.compile(expand_fragments(entry[field], f"{where} {field}"), re.IGNORECASE)


@lru_cache(maxsize=1)
def _templates() -> _Templates:
    data = _read_yaml("safe_replies.yaml")
    specific = tuple(
        (
            re.compile(s["cue"], re.IGNORECASE),
            " ".join(s["line"].split()) + " ",
            frozenset(s["for"]),
        )
        for s in data["specific"]
    )
    urgent = []
    for u in data["urgent"]:
        where = f"safe_replies.yaml: urgent {u['id']}"
        arm = u.get("arm", "always")
        arms = tuple(arm) if isinstance(arm, list) else (arm,)
        if not arms or any(a not in get_args(Arm) for a in arms):
            raise ValueError(f"{where}: bad arm")
        covered = frozenset(u.get("answered_by_protocol", ()))
        if not covered <= set(get_args(RiskCategory)):
            raise ValueError(f"{where}: answered_by_protocol names an unknown risk category")
        urgent.append(
            _Urgent(
                id=u["id"],
                what=u["what"],
                cue=_urgent_regex(u, "cue", where),
                addressed=_urgent_regex(u, "addressed", where),
                line=" " + " ".join(u["line"].split()),
                arms=arms,
                keys=frozenset(u["for"]) if "for" in u else None,
                unless=_urgent_regex(u, "unless", where) if "unless" in u else None,
                answered_by_protocol=covered,
            )
        )
    escape = re.compile(data["escape"], re.IGNORECASE)
    return _Templates(data["replies"], specific, tuple(urgent), escape)


def _spoken_for(key: str, situation: _Situation) -> Iterator[_Urgent]:
    """Yield the urgent elements the client spoke of with a line written for template ``key``."""
    for u in _templates().urgent:
        if u.id in situation.urgent and (u.keys is None or key in u.keys):
            yield u


def _urgent_lines(key: str, situation: _Situation) -> str:
    """Return the lines written for template ``key`` of the urgent elements the client spoke of."""
    return "".join(u.line for u in _spoken_for(key, situation))


def protocol_urgent_lines(
    client_text: str, risk: RiskAssessment | None, earlier: Sequence[str] = ()
) -> str:
    """Return the lines the crisis protocol's reply carries for what else the client spoke of.

    The protocol asks about suicide and safety; what comes first beside that (a baby kept on
    water, days without drinking, a voice ordering a swerve) gets the ``urgent`` lines written
    ``for`` the ``crisis_protocol`` (or for every reply), read as the guards read them.
    """
    situation = _situation(client_text, risk, earlier, protocol=True)
    focus = risk.protocol_focus if risk is not None else None
    answered = {u.id for u in _templates().urgent if focus in u.answered_by_protocol}
    situation = replace(situation, urgent=situation.urgent - answered)
    return _urgent_lines("crisis_protocol", situation).strip()


def _condition_urgent(kind: GuardKind, situation: _Situation) -> bool:
    """Say whether the client spoke of what the condition of template ``kind`` makes urgent.

    The condition must be one the cue rules read, and only elements armed by a condition count
    (harm to others, a child at risk, stopping the medication, obeying a voice), not those every
    template answers (not eating, a wish to die).
    """
    return bool(_CONDITION_OF.get(kind, frozenset()) & situation.ruled) and any(
        "always" not in u.arms for u in _spoken_for(kind, situation)
    )


def _urgent_template(situation: _Situation) -> GuardKind | None:
    """Return the first condition template, in fallback order, with an urgent element spoken of."""
    return next((k for k in _FALLBACK_ORDER if _condition_urgent(k, situation)), None)


def _asked_template(situation: _Situation) -> GuardKind | None:
    """Return the template of a condition the cue rules read earlier in the window, for a question.

    A question that builds on what an earlier message held (how to ask the dead grandfather in
    the hallway what he wants) asks for help with the belief, the voice, the plan or the ritual
    itself: a holding reply would leave it unanswered. A turn with self-directed risk is answered
    by the risk instead.
    """
    if not situation.question or situation.self_risk:
        return None
    return next(
        (k for k in _flagged_templates(situation) if _CONDITION_OF[k] & situation.ruled), None
    )


def safe_fallback_reply(
    kind: FallbackKind | str,
    *,
    client_text: str = "",
    risk: RiskAssessment | None = None,
    locale: str = "en-US",
    resources: CrisisResources | None = None,
    earlier: Sequence[str] = (),
) -> str:
    """Return a fixed safe reply for a fired guard (or a failed model call).

    ``means_information`` never repeats the asked-for facts: it asks about suicide directly, or,
    when the client describes voices or a delusion, declines to help leave or hide and
    recommends clinical support. A condition's template (delusion, mania, compulsion) answers
    only a held condition; for one merely suspected, or one carried from earlier messages into a
    turn with self-directed risk, the reply follows the turn's risk (a means question, then any
    self-directed risk) or stays neutral. With a risk that requires the protocol, means,
    dismissal and preparation return the crisis reply. ``model_failure`` answers what the turn
    shows when the model gave no usable draft: a means question gets the means template, a
    condition held in this message its template, and so does one held earlier in the window
    whose urgent element this message speaks of or that a question builds on; self-directed
    risk gets a direct question about suicide, a suspected condition the careful neutral reply,
    and anything else a holding reply.
    The condition templates also answer what comes first whatever the condition (not eating,
    hurting the body to get rid of something, harm to others) when the client's message or one
    of the ``earlier`` client messages speaks of it.

    Raises:
        InvalidInputError: ``kind`` is not one of :data:`FALLBACK_KINDS`.
    """
    if kind not in FALLBACK_KINDS:
        raise InvalidInputError(f"unknown fallback kind {kind!r}; use one of {FALLBACK_KINDS}")
    if risk is not None and risk.requires_protocol and kind in _PROTOCOL_KINDS:
        urgent = protocol_urgent_lines(client_text, risk, earlier)
        return crisis_reply(risk, locale=locale, resources=resources, urgent=urgent)
    templates = _templates()
    replies = templates.replies
    key = kind
    situation = _situation(client_text, risk, earlier)

    def answered_by(template: GuardKind) -> str:
        """Return the reply of ``template`` for the same conversation."""
        return safe_fallback_reply(
            template,
            client_text=client_text,
            risk=risk,
            locale=locale,
            resources=resources,
            earlier=earlier,
        )

    if kind == "delusion_agreement" and situation.grandiose:
        return answered_by("mania_encouragement")
    # a failed model call, or a reply that passed over what comes first (not suicide), is
    # answered by the template of the means question or of the condition held in this message
    stand_in = None
    if kind == "model_failure" or (
        kind == "risk_dismissal" and not situation.self_risk and situation.urgent
    ):
        stand_in = _stand_in(situation)
        if kind == "risk_dismissal":
            key = "urgent_concern"
            stand_in = None if stand_in == "means_information" else stand_in
        # a condition held earlier in the window whose urgent element this message speaks of
        # (the children taken out of school to hide them) answers with its own template
        stand_in = stand_in or _urgent_template(situation)
    if kind == "model_failure" and stand_in is None:
        stand_in = _asked_template(situation)
    if kind == "risk_dismissal" and situation.self_risk:
        # a reply that passed over what the held condition makes urgent is answered by that
        # condition's template, which carries the line (and a wish to die, if spoken)
        stand_in = _urgent_template(situation)
    if stand_in is not None:
        return answered_by(stand_in)
    if kind == "model_failure" and situation.self_risk:
        key = "model_failure_at_risk"
    elif kind == "model_failure" and (situation.psychosis or situation.mania or situation.ocd):
        key = "suspected_condition"
    if kind in _CONDITION_OF and not _CONDITION_OF[kind] & situation.ruled:
        # the condition reader reads topics: a template follows the condition the cue rules read
        kind = next(
            (
                k
                for k in _FALLBACK_ORDER
                if k in _CONDITION_OF and _CONDITION_OF[k] & situation.ruled
            ),
            kind,
        )
        key = kind
    psychosis = _CONDITION_OF["delusion_agreement"]
    # a belief the rules read, or one beside no self-directed risk (a belief only the reader
    # found beside such risk is the risk, misread)
    ruled_or_alone = bool(psychosis & situation.ruled) or not situation.self_risk
    belief = situation.psychosis_held and ruled_or_alone
    asked = " ".join([*earlier[-2:], client_text])
    wants_out = situation.psychosis_held and templates.escape.search(asked) is not None
    held = _stand_in(situation)
    # a means question only the condition reader read, in a condition the rules read now
    reader_only = situation.means_inquiry and held not in (None, "means_information")
    if kind == "means_information" and (reader_only or not situation.means_inquiry):
        # a number, a medicine or a place that tripped the means guard with no means question is
        # answered by the template of the condition held in this message (not the suicide
        # question, nor, unless the client wants to leave or hide, the escape template); so is a
        # way off the client's own medication, whose template carries the line about the
        # prescriber, whatever faint self-directed risk the classifier read in the request
        stopping = "stopping_medication" in situation.urgent
        if (
            held is not None
            and not wants_out
            and (belief or stopping or reader_only or not situation.self_risk)
        ):
            return answered_by(held)
    if kind == "means_information" and belief:
        # the escape template answers a wish to leave or hide, or a means question the rules
        # read; a question only the condition reader took for one ("write to my daughter that
        # her mother has passed") is the belief's to answer
        if not (situation.means_ruled or wants_out):
            return answered_by("delusion_agreement")
        key = "means_information_psychosis"
    carried = (
        kind in _CONDITION_OF
        and not _CONDITION_OF[kind] & situation.current
        # what the held condition makes urgent (harm to others, a child at risk, stopping the
        # medication, obeying a voice) in a belief the rules read comes before a self-directed
        # risk read only from this message
        and not _condition_urgent(kind, situation)
    )
    if kind in _CONDITION_OF and (
        kind not in situation.flagged  # not for a mere suspicion
        or (carried and (situation.self_risk or situation.means_inquiry))
    ):  # nor for one carried from before when the risk is in this message
        if situation.means_inquiry:
            key = "means_information"
        elif situation.self_risk:
            key = "risk_dismissal"
        else:
            key = "suspected_condition"
    line = next(
        (text for cue, text, keys in templates.specific if key in keys and cue.search(client_text)),
        "",
    )
    urgent = _urgent_lines(key, situation)
    return (
        replies[key]
        .format(
            resources=resources_text("suicide", locale, resources), specific=line, urgent=urgent
        )
        .strip()
    )
