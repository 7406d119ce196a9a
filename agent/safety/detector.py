"""The layered risk detector that runs before any reply is drafted.

Layers, in order, for every client turn:

1. **patterns** (:mod:`theraloop.agent.safety.patterns`): explicit, high-precision rules for
   ideation, intent, plans, preparation, attempts, means, timing, self-harm, harm to others, abuse,
   delusions and mania, with idiom, negation and first-person filters.
2. **classifier** (:mod:`theraloop.agent.safety.reader`): MiniLM sentence embeddings and the shipped
   MLP head trained offline on thousands of generated C-SSRS-style sentences and look-alikes (the
   learned reader; other embedders get :mod:`theraloop.agent.safety.classifier`'s example-trained
   head). It reads every sentence (and short messages whole) and reports the riskiest reading. Above
   ``llm_band[1]`` its reading is accepted; inside the band the case is *borderline*; below
   ``llm_band[0]`` it adds nothing.
3. **llm** (optional): on a borderline current turn that no pattern explains, the chat model gives
   a structured second opinion (``with_structured_output(LLMRiskOpinion)``). By default
   (``second_opinion="record"``) the opinion is recorded in the assessment for review but does
   not move the level: a borderline turn is ``low`` (guards tighten, no protocol) whether the
   opinion arrives, fails or times out, so the decision is a function of the conversation and
   never of machine load. ``second_opinion="decide"`` lets the opinion set the level instead.
4. **context**: earlier client turns are analysed the same way (cached) and combined:
   distress followed by a means question ("I just lost my job" ... "what are the tallest bridges
   in NYC?") is moderate, after any ideation it is high; a vague intent ("I'm going to do it")
   or a vague plan after active ideation is high, with timing now it is imminent; means at hand
   after active ideation is high; passive ideation in three or more turns is moderate. Risk from
   earlier turns is carried one level lower (earlier high keeps the protocol on at moderate,
   earlier moderate keeps the guards on at low) so a client who disclosed a plan is not dropped
   because they changed the subject, yet one disclosure does not repeat the script forever.
   Imminent risk and a recent attempt told at ``high`` are carried at their own level: the
   overdose taken twenty minutes ago is still under way when the client asks to talk of
   something else.

5. **conditions** (:mod:`theraloop.agent.safety.conditions`): psychosis, mania and OCD are perceived
   from the rules file and attached to the assessment; imminence cues (means at hand, timing now, an
   act under way, preparation, a farewell) combined with the client's ideation raise the level
   to ``high`` or ``imminent``. A plan that only the classifier reads, in talk the cue rules
   perceive as psychosis or mania and with no word of death or harm, stays ``low``: the
   condition's guards answer it, not the suicide protocol.

**Fail closed.** A layer that raises never yields ``none``: if the patterns or the classifier
fail on a turn, its level is raised to at least ``low``, and to ``moderate`` when the broad risk
keyword net finds anything; if the LLM fails on a borderline turn in ``decide`` mode, the
classifier's own reading (at least ``low``) is used. Failures are listed in ``failed_layers``
and ``errors``.

Each layer is one function returning a small frozen result (``_pattern_layer``,
``RiskAssessor._classifier_layer``, ``RiskAssessor._second_opinion``, ``_context_layer``,
``_with_conditions``); ``RiskAssessor._turn`` combines them with one level arithmetic
(:func:`~theraloop.agent.safety.models.max_level`, ``lower_level``, ``reaches``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from cachetools import LRUCache

from theraloop.agent.safety._llm import ask_llm
from theraloop.agent.safety.classifier import CLASS_MAP, ClassifierReading
from theraloop.agent.safety.condition_reader import (
    ConditionReader,
    LearnedConditions,
    add_learned,
)
from theraloop.agent.safety.conditions import imminence_level, load_rules, perceive
from theraloop.agent.safety.models import (
    ConditionKind,
    ConditionReading,
    EvidenceSpan,
    Layer,
    LLMRiskOpinion,
    MeansContext,
    RiskAssessment,
    RiskCategory,
    RiskLevel,
    discloses_risk,
    level_rank,
    lower_level,
    max_level,
    reaches,
)
from theraloop.agent.safety.patterns import (
    MANIA_SIGNALS,
    MODIFIER_SIGNALS,
    PatternHit,
    about_someone_else,
    risk_keywords,
    scan,
)
from theraloop.agent.safety.reader import (
    MINILM_NAME,
    LearnedRiskReader,
    RiskReader,
    default_reader,
)
from theraloop.agent.safety.reader_lora import TunedRiskReader
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from theraloop.memory import Embedder

__all__ = ["RiskAssessor"]

_SELF = ("suicide", "self_harm")
_AHEAD = re.compile(r"\b(?:tonight|tomorrow|this\s+(?:weekend|evening)|next\s+week|soon)\b", re.I)
"""Timing words that point ahead, for a plan-like classifier reading in the band."""
_LEGACY_BAND = (0.5, 0.9)
"""The borderline band of the project-example classifier (used with embedders other than MiniLM)."""
_OTHER_CLASSES = ("harm_others", "abuse", "delusion", "mania")
_STICKY = ("delusion", "mania")
_MAX_EVIDENCE = 24
_INTENT_SIGNALS = frozenset({"intent", "plan", "preparatory", "farewell", "command_hallucination"})
_EXPLAINING: frozenset[ConditionKind] = frozenset({"delusion", "hallucination", "mania", "ocd"})
"""Conditions whose talk of plans or intrusive thoughts the classifier can take for suicide risk."""
_CONDITION_WORDS = frozenset({"voices"})
"""Words of the broad risk net that name the condition itself, not death or harm."""

SecondOpinionMode = Literal["record", "decide"]
"""``record``: the LLM's opinion is kept for review, the level never depends on it; ``decide``:
the opinion sets a borderline turn's level (a timeout then falls back to the classifier)."""

Bumps = tuple[tuple[str, RiskLevel], ...]
"""Category levels a layer supports, in the order found; merged by taking the highest."""


def _merge(cats: dict[str, RiskLevel], bumps: Iterable[tuple[str, RiskLevel]]) -> None:
    """Raise each category in ``cats`` to the level a layer supports (``none`` adds nothing)."""
    for cat, level in bumps:
        if level != "none":
            cats[cat] = max_level([cats.get(cat, "none"), level])


@dataclass(frozen=True, slots=True)
class _Analysis:
    """Layer outputs for one text; cached, independent of the conversation."""

    text: str
    hits: tuple[PatternHit, ...]
    readings: tuple[ClassifierReading, ...]
    pattern_error: str | None = None
    classifier_error: str | None = None


@dataclass(frozen=True, slots=True)
class _PatternLayer:
    """What the rules found in one turn."""

    level: RiskLevel
    """Self-directed level the hits support."""
    ideation: RiskLevel
    """The same, leaving out means questions."""
    categories: Bumps
    evidence: tuple[EvidenceSpan, ...]
    signals: frozenset[str]
    error: str | None


@dataclass(frozen=True, slots=True)
class _ClassifierLayer:
    """What the classifier read in one turn, given what the patterns found."""

    level: RiskLevel = "none"
    """Level of an accepted self-directed reading (at or above the band, or a timed plan)."""
    risk: float | None = None
    """Self-directed probability of the riskiest sentence counted."""
    borderline: bool = False
    """The reading falls in the band and no pattern explains the turn."""
    proposed: RiskLevel = "none"
    """The level the riskiest reading's class stands for."""
    best: ClassifierReading | None = None
    distress: bool = False
    categories: Bumps = ()
    evidence: tuple[EvidenceSpan, ...] = ()
    note: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Opinion:
    """What the second-opinion layer decided for one borderline turn."""

    level: RiskLevel
    categories: Bumps
    note: str
    opinion: LLMRiskOpinion | None = None
    evidence: EvidenceSpan | None = None
    error: str | None = None
    decisive: bool = False


@dataclass(frozen=True, slots=True)
class _ContextLayer:
    """What the combination with earlier turns adds to one turn."""

    level: RiskLevel
    categories: Bumps
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _TurnResult:
    level: RiskLevel
    raw_level: RiskLevel
    cats: dict[str, RiskLevel]
    evidence: tuple[EvidenceSpan, ...]
    signals: frozenset[str]
    distress: bool
    cls_risk: float | None
    failed: tuple[Layer, ...]
    errors: tuple[str, ...]
    notes: tuple[str, ...]
    llm: LLMRiskOpinion | None = None
    asked_llm: bool = False
    ideation_turn: bool = False
    explained_by: tuple[ConditionKind, ...] = ()
    conditions: ConditionReading = ConditionReading()
    pattern_level: RiskLevel = "none"
    """Self-directed level the rules alone found in this turn."""


@dataclass(frozen=True, slots=True)
class _Prior:
    """What the earlier turns of a conversation showed, for the context layer."""

    distress: bool = False
    self_max: RiskLevel = "none"
    ideation_turns: int = 0
    mania_signals: tuple[frozenset[str], ...] = ()
    pattern_max: RiskLevel = "none"
    """Highest self-directed level the rules alone found in earlier turns."""

    def after(self, r: _TurnResult) -> _Prior:
        """Return the prior for the next turn, once ``r`` is known."""
        return _Prior(
            distress=self.distress or r.distress,
            self_max=max_level([self.self_max, r.level]),
            ideation_turns=self.ideation_turns + int(r.ideation_turn),
            mania_signals=(*self.mania_signals, r.signals & MANIA_SIGNALS),
            pattern_max=max_level([self.pattern_max, r.pattern_level]),
        )


class RiskAssessor:
    """Assess a client message's risk (C-SSRS level plus categories) with layered detection.

    Args:
        embedder: sentence embedder for the classifier (``theraloop.memory.MiniLMEmbedder`` in
        production). chat_model: optional chat model for the second opinion on borderline turns.
        llm_band: ``(low, high)`` classifier probability band of self-directed risk that counts
            as borderline; at or above ``high`` the classifier's reading is accepted. ``None``:
            the learned reader's own thresholds (chosen on held-out training templates), or
            ``(0.5, 0.9)`` for the example-trained classifier.
        category_threshold: classifier probability at which harm to others, abuse, delusion or
            mania are flagged without a pattern.
        classifier: a prebuilt classifier layer; default: the shipped learned reader
            (:mod:`theraloop.agent.safety.reader`) for MiniLM, else the example-trained classifier.
        cache_size: how many analysed texts to keep (earlier turns are re-read every turn).
        model_timeout_s: seconds the second opinion may take before it is abandoned and recorded
            as a failed layer; ``None`` waits for the model.
        second_opinion: ``"record"`` (default) keeps the opinion in the assessment without
            letting it move the level, so the same conversation gets the same level under any
            load; ``"decide"`` lets it set a borderline turn's level (deterministic only with
            ``model_timeout_s=None``).
        perceive_conditions: attach psychosis, mania and OCD and lift the level for imminence
            cues (:mod:`theraloop.agent.safety.conditions`); off only to measure the layer's effect.
        learned_conditions: also read the conditions with the shipped head
            (:mod:`theraloop.agent.safety.condition_reader`) when the embedder is MiniLM.
        ignore_talk_about_others: do not count the classifier's self-directed risk in sentences
            that name another person and never the speaker ("you deserve to live", "she wants to
            die"). Off by default: in a session a client's generic "you" is often about
            themselves ("when you're this tired you stop wanting to wake up"). Turn it on where
            speakers mostly reply to others, as in peer-support forums.

    Example:
        >>> from theraloop.memory import MiniLMEmbedder  # doctest: +SKIP
        >>> RiskAssessor(MiniLMEmbedder()).assess("I want to kill myself").level  # doctest: +SKIP
        'moderate'
    """

    def __init__(
        self,
        embedder: Embedder,
        chat_model: BaseChatModel | None = None,
        *,
        llm_band: tuple[float, float] | None = None,
        category_threshold: float = 0.9,
        classifier: RiskReader | None = None,
        cache_size: int = 4096,
        model_timeout_s: float | None = None,
        ignore_talk_about_others: bool = False,
        second_opinion: SecondOpinionMode = "record",
        perceive_conditions: bool = True,
        learned_conditions: bool = True,
    ) -> None:
        self.classifier: RiskReader = classifier or default_reader(embedder)
        if llm_band is None:
            llm_band = (
                self.classifier.band
                if isinstance(self.classifier, (LearnedRiskReader, TunedRiskReader))
                else _LEGACY_BAND
            )
        lo, hi = llm_band
        if not 0.0 <= lo <= hi <= 1.0:
            raise InvalidInputError(
                f"llm_band must be (low, high) with 0 <= low <= high <= 1, got {llm_band!r}"
            )
        if not 0.0 < category_threshold <= 1.0:
            raise InvalidInputError(
                f"category_threshold must be in (0, 1], got {category_threshold!r}"
            )
        if cache_size < 0:
            raise InvalidInputError(f"cache_size must be >= 0, got {cache_size!r}")
        self.embedder = embedder
        self.chat_model = chat_model
        self.model_timeout_s = model_timeout_s
        if second_opinion not in ("record", "decide"):
            raise InvalidInputError(
                f"second_opinion must be 'record' or 'decide', got {second_opinion!r}"
            )
        self.second_opinion: SecondOpinionMode = second_opinion
        self.perceive_conditions = perceive_conditions
        self.condition_reader = (
            ConditionReader(embedder)
            if perceive_conditions
            and learned_conditions
            and embedder is not None
            and embedder.name == MINILM_NAME
            else None
        )
        self.ignore_talk_about_others = ignore_talk_about_others
        self.llm_band = (float(lo), float(hi))
        self.category_threshold = float(category_threshold)
        self._cache: LRUCache[str, _Analysis] = LRUCache(maxsize=cache_size)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public API
    def warm_up(self) -> None:
        """Load (or train) the classifier heads now instead of on the first message."""
        self.classifier.fit()
        if self.condition_reader is not None:
            self.condition_reader.warm_up()

    def assess(self, text: str, context: Sequence[str] | None = ()) -> RiskAssessment:
        """Assess ``text`` in the light of the earlier client turns in ``context`` (oldest first).

        ``None`` means no earlier turns.

        Raises:
            InvalidInputError: ``text`` or an item of ``context`` is not a string.
        """
        turns = self._validate(text, () if context is None else context)
        return self._assess_turns(turns, last_only=True, use_llm=True)[-1]

    def assess_conversation(
        self, turns: Sequence[str], *, use_llm: bool = False
    ) -> list[RiskAssessment]:
        """Assess every turn of a conversation, each with the turns before it as context.

        This reads each text once, so it is the cheap way to replay or benchmark a conversation.
        With ``use_llm`` the second opinion is asked for every borderline turn.
        """
        items = list(turns)
        if not items:
            return []
        self._validate(items[-1], items[:-1])
        return self._assess_turns(items, last_only=False, use_llm=use_llm)

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _validate(text: str, context: Sequence[str]) -> list[str]:
        if not isinstance(text, str):
            raise InvalidInputError(
                f"text must be a str, got {type(text).__name__} {text!r:.60}; pass the message"
            )
        if isinstance(context, str):
            raise InvalidInputError(
                "context must be a sequence of earlier client turns, not one str; wrap it: [text]"
            )
        turns = []
        for i, c in enumerate(context):
            if not isinstance(c, str):
                raise InvalidInputError(
                    f"context[{i}] must be a str, got {type(c).__name__} {c!r:.60}"
                )
            turns.append(c)
        turns.append(text)
        return turns

    def _analyse(self, texts: Sequence[str]) -> list[_Analysis]:
        with self._lock:
            cached = {t: a for t in texts if (a := self._cache.get(t)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in cached))
        if missing:
            fresh = self._analyse_fresh(missing)
            with self._lock:
                for t, a in fresh.items():
                    if (
                        self._cache.maxsize
                        and a.pattern_error is None
                        and a.classifier_error is None
                    ):
                        self._cache[t] = a
            cached.update(fresh)
        return [cached[t] for t in texts]

    def _analyse_fresh(self, texts: list[str]) -> dict[str, _Analysis]:
        """Scan and classify ``texts`` (one classifier batch); a layer that raises is recorded."""
        hits: dict[str, tuple[PatternHit, ...]] = {}
        pattern_errors: dict[str, str] = {}
        for t in texts:
            try:
                hits[t] = tuple(scan(t))
            except Exception as exc:  # fail closed in the turn
                hits[t] = ()
                pattern_errors[t] = f"patterns: {type(exc).__name__}: {exc}"
        readings: list[tuple[ClassifierReading, ...]]
        classifier_error = None
        try:
            read = self.classifier.read_many(texts)
            readings = [tuple(r) for _, r in zip(texts, read, strict=True)]
        except Exception as exc:  # fail closed in the turn
            readings = [() for _ in texts]
            classifier_error = f"classifier: {type(exc).__name__}: {exc}"
        return {
            t: _Analysis(
                text=t,
                hits=hits[t],
                readings=r,
                pattern_error=pattern_errors.get(t),
                classifier_error=classifier_error,
            )
            for t, r in zip(texts, readings, strict=True)
        }

    def _assess_turns(
        self, turns: list[str], *, last_only: bool, use_llm: bool
    ) -> list[RiskAssessment]:
        analyses = self._analyse(turns)
        prior = _Prior()
        results: list[_TurnResult] = []
        last = len(turns) - 1
        learned = (
            list(self.condition_reader.read(turns))
            if self.perceive_conditions and self.condition_reader is not None
            else None
        )
        for i, a in enumerate(analyses):
            ask = use_llm and self.chat_model is not None and (i == last or not last_only)
            r = self._turn(a, prior, i, turns[:i] if ask else (), ask)
            if self.perceive_conditions:
                reading = perceive(turns[i], turns[:i])
                r = _explained_by_condition(r, prior, reading, turns[: i + 1])
                if learned is not None:
                    disclosure = _discloses(r)
                    reading = add_learned(
                        reading,
                        turns[i],
                        turns[:i],
                        learned[: i + 1],
                        load_rules(),
                        disclosure=disclosure,
                        earlier_risk=_earlier_sign(prior.self_max),
                    )
                    if disclosure or set(reading.imminence) - {"timing_now"}:
                        # a disclosure read as a condition stays a suspicion in later turns too
                        learned[i] = _suspected_only(learned[i])
                r = _with_conditions(r, reading, prior.self_max)
            results.append(r)
            prior = prior.after(r)
        indices = [last] if last_only else range(len(turns))
        return [self._build(results, k) for k in indices]

    def _turn(
        self,
        a: _Analysis,
        prior: _Prior,
        index: int,
        context: Sequence[str],
        ask_llm_now: bool,
    ) -> _TurnResult:
        """Run the layers on one turn and combine them (conditions are added by the caller)."""
        pat = _pattern_layer(a, index)
        cls = self._classifier_layer(a, index, pat)
        cats: dict[str, RiskLevel] = {}
        _merge(cats, pat.categories)
        _merge(cats, cls.categories)
        evidence = [*pat.evidence, *cls.evidence]
        notes = [cls.note] if cls.note else []
        failed: list[Layer] = []
        errors: list[str] = []
        for layer, error in (("patterns", pat.error), ("classifier", cls.error)):
            if error:
                failed.append(layer)  # type: ignore[arg-type]
                errors.append(error)
        base = max_level([pat.level, cls.level])
        op: _Opinion | None = None
        if cls.borderline:
            op = self._second_opinion(a, index, context, cls.best, cls.proposed, ask_llm_now)
            base = max_level([base, op.level])
            _merge(cats, op.categories)
            if op.evidence is not None:
                evidence.append(op.evidence)
            notes.append(op.note)
            if op.error is not None:
                failed.append("llm")
                errors.append(op.error)
        decisive = op.opinion if op is not None and op.decisive else None
        # what this turn says about ideation, leaving out its own means questions
        ideation = max_level([pat.ideation, cls.level, decisive.level if decisive else "none"])
        if cls.borderline and reaches(base, "low"):
            ideation = max_level([ideation, "low"])
        signals = pat.signals
        distress = "distress" in signals or cls.distress
        ctx = _context_layer(a, prior, base, ideation, cls.borderline, distress, signals, cats)
        _merge(cats, ctx.categories)
        notes.extend(ctx.notes)
        level = ctx.level
        if "patterns" in failed or "classifier" in failed:
            floor: RiskLevel = "moderate" if risk_keywords([a.text]) else "low"
            level = max_level([level, floor])
            notes.append(f"a layer failed: escalated to at least {floor}")
        if level != "none" and not any(c in cats for c in _SELF):
            _merge(cats, [("suicide", level)])
        if "suicide" in cats and not reaches(cats["suicide"], level) and "self_harm" not in cats:
            cats["suicide"] = level
        return _TurnResult(
            level=level,
            raw_level=base,
            cats=cats,
            evidence=tuple(evidence),
            signals=signals,
            distress=distress,
            cls_risk=cls.risk,
            failed=tuple(failed),
            errors=tuple(errors),
            notes=tuple(notes),
            llm=op.opinion if op is not None else None,
            asked_llm=cls.borderline and ask_llm_now,
            ideation_turn=reaches(base, "low") and not (cls.borderline and decisive is None),
            pattern_level=pat.level,
        )

    def _classifier_layer(self, a: _Analysis, index: int, pat: _PatternLayer) -> _ClassifierLayer:
        """Read the classifier's sentences: accept, mark borderline, or flag other categories.

        Readings the patterns cancelled (negation, someone else, idiom) do not count; with
        ``ignore_talk_about_others`` neither do sentences only about another person.
        """
        if a.classifier_error:
            return _ClassifierLayer(error=a.classifier_error)
        readings = _counted_readings(a)
        if not readings:
            return _ClassifierLayer()
        lo, hi = self.llm_band
        own = readings
        if self.ignore_talk_about_others:
            own = [r for r in readings if not about_someone_else(r.text)]
        bumps: list[tuple[str, RiskLevel]] = []
        evidence: list[EvidenceSpan] = []
        level: RiskLevel = "none"
        risk: float | None = None
        borderline = False
        proposed: RiskLevel = "none"
        best: ClassifierReading | None = None
        note: str | None = None
        if own:
            best = max(own, key=lambda r: r.self_risk)
            risk = best.self_risk
            top = best.top_self_class
            category, proposed = CLASS_MAP[top]
            if proposed == "imminent":
                proposed = "high"  # imminence needs explicit words (patterns) or the LLM
            # A plan-like reading in the band counts when the message also names a time
            # ahead ("I'm done, tonight's the night"), not a time past ("this morning").
            timed_plan = (
                risk >= lo
                and proposed == "high"
                and any(h.signal == "timing" and _AHEAD.search(h.text) for h in a.hits)
            )
            denied = any(h.signal == "plan_denied" and h.start < best.end for h in a.hits)
            if denied and risk >= lo and reaches(proposed, "moderate"):
                # "I'm not gonna do anything, it's just a thing I think", "I'd never do anything.
                # The boys need me.": the thought, or the reason not to act, read after a
                # denial is not a plan, so the reading is borderline (low, guards on) whatever
                # its probability
                borderline = pat.level == "none"
            elif risk >= hi or timed_plan:
                level = proposed
                bumps.append((category or "suicide", proposed))
                if level_rank(pat.level) < level_rank(proposed):
                    note = f"classifier {top} p={risk:.2f}"
            elif risk >= lo and pat.level == "none":
                borderline = True
            if risk >= lo:
                shown: RiskLevel = level if level != "none" else "low"
                evidence.append(_classifier_span(a, best, top, category, shown, index))
        for name in _OTHER_CLASSES:
            reading = max(readings, key=lambda r, n=name: r.probs.get(n, 0.0))
            if reading.probs.get(name, 0.0) >= self.category_threshold:
                cat, cat_level = CLASS_MAP[name]
                assert cat is not None
                bumps.append((cat, cat_level))
                evidence.append(_classifier_span(a, reading, name, cat, cat_level, index))
        return _ClassifierLayer(
            level=level,
            risk=risk,
            borderline=borderline,
            proposed=proposed,
            best=best,
            distress=max(r.probs.get("distress", 0.0) for r in readings) >= 0.5,
            categories=tuple(bumps),
            evidence=tuple(evidence),
            note=note,
        )

    def _second_opinion(
        self,
        a: _Analysis,
        index: int,
        context: Sequence[str],
        best: ClassifierReading | None,
        proposed: RiskLevel,
        ask_now: bool,
    ) -> _Opinion:
        """Decide a borderline turn: the fixed ``low`` rule, or the LLM's opinion in decide mode.

        In ``record`` mode the opinion (or its failure) is only recorded, so whether and when it
        arrives never changes the level.
        """
        lo = self.llm_band[0]
        held = _Opinion(
            level="low",
            categories=(("suicide", "low"),),
            note="borderline classifier reading: low (guards on)",
        )
        if not ask_now:
            return held
        try:
            llm = ask_llm(self.chat_model, a.text, context, timeout_s=self.model_timeout_s)
        except Exception as exc:
            error = f"llm: {type(exc).__name__}: {exc}"
            if self.second_opinion == "record":
                return replace(
                    held, error=error, note=held.note + "; second opinion failed and was recorded"
                )
            return _Opinion(
                level=max_level([proposed, "low"]),
                categories=(),
                note="LLM failed on a borderline turn: kept the classifier's reading",
                error=error,
            )
        anchor = best or a.readings[0]
        if self.second_opinion == "record":
            span = _llm_span(a, anchor, index, llm.level, counted="low")
            note = f"{held.note}; second opinion recorded: {llm.level} ({llm.rationale[:80]})"
            return replace(held, opinion=llm, evidence=span, note=note)
        notes = []
        if reaches(llm.level, "moderate") and not _grounded(llm.quote, a, lo):
            notes.append(
                f"LLM said {llm.level} without quoting the client's own risk words: low (guards on)"
            )
            kept = [c for c in llm.categories if c in _SELF]
            llm = llm.model_copy(update={"level": "low", "categories": kept})
        cats = [(c, llm.level if c in _SELF else "moderate") for c in llm.categories]
        if llm.level != "none" and not any(c in _SELF for c in llm.categories):
            cats.append(("suicide", llm.level))
        notes.append(f"LLM second opinion: {llm.level} ({llm.rationale[:80]})")
        return _Opinion(
            level=llm.level,
            categories=tuple(cats),  # type: ignore[arg-type]
            note="; ".join(notes),
            opinion=llm,
            evidence=_llm_span(a, anchor, index, llm.level, counted=llm.level),
            decisive=True,
        )

    def _build(self, results: list[_TurnResult], k: int) -> RiskAssessment:
        cur = results[k]
        earlier = results[:k]
        context_level = max_level(_carried_level(r) for r in earlier)
        level = max_level([cur.level, context_level])
        cats: dict[str, RiskLevel] = {}
        for r in earlier:
            for c, lv in r.cats.items():
                carried = lv if c in _STICKY else lower_level(lv)
                if carried != "none":
                    cats[c] = max_level([cats.get(c, "none"), carried])
        for c, lv in cur.cats.items():
            cats[c] = max_level([cats.get(c, "none"), lv])
        if level != "none" and not any(c in cats for c in _SELF):
            cats["suicide"] = level
        evidence = list(cur.evidence)
        for j in range(k - 1, -1, -1):
            r = results[j]
            if r.level != "none" or r.cats:
                evidence.extend(e for e in r.evidence if e.level != "none")
            if len(evidence) >= _MAX_EVIDENCE:
                break
        evidence = [
            e.model_copy(update={"turn": None}) if e.turn == k else e
            for e in evidence[:_MAX_EVIDENCE]
        ]
        layers: list[Layer] = ["patterns", "classifier"]
        if cur.asked_llm:
            layers.append("llm")
        if k > 0:
            layers.append("context")
        failed: list[Layer] = list(
            dict.fromkeys([*cur.failed, *(f for r in earlier for f in r.failed)])
        )
        errors = list(dict.fromkeys([*cur.errors, *(e for r in earlier for e in r.errors)]))
        notes = list(cur.notes)
        if level_rank(context_level) > level_rank(cur.level):
            notes.append(f"carried from earlier turns: {context_level}")
        order = [
            "suicide",
            "self_harm",
            "harm_to_others",
            "abuse_by_others",
            "delusion",
            "mania",
        ]
        categories: list[RiskCategory] = [c for c in order if c in cats]  # type: ignore[misc]
        return RiskAssessment(
            level=level,
            turn_level=cur.level,
            context_level=context_level,
            categories=categories,
            category_levels={c: cats[c] for c in categories},
            evidence=evidence,
            layers=layers,
            method="+".join(layers),
            failed_layers=failed,
            errors=errors,
            classifier_risk=cur.cls_risk,
            llm_opinion=cur.llm,
            conditions=cur.conditions,
            explained_by=cur.explained_by if level == cur.level else (),
            rationale="; ".join(notes) or _summary(cur, level),
        )


_CONDITION_CATEGORY: dict[str, RiskCategory] = {
    "delusion": "delusion",
    "hallucination": "delusion",
    "mania": "mania",
}


def _discloses(r: _TurnResult) -> bool:
    """Say whether a turn's own flags disclose risk (see :func:`discloses_risk`)."""
    self_level = max_level([lv for c, lv in r.cats.items() if c in _SELF])
    return discloses_risk(self_level, r.cats)


def _explained_by_condition(
    r: _TurnResult, prior: _Prior, reading: ConditionReading, window: Sequence[str]
) -> _TurnResult:
    """Keep risk the classifier alone reads in a perceived condition to ``low`` (guards on).

    The classifier's plan and intent classes read any resolute plan ("I'll take the rest of my
    account out tomorrow", "should I leave tonight like it wants?") and its ideation classes
    read the dread of an intrusive thought ("confirm it wasn't a mortal sin"). When no rule
    found self-directed risk in the conversation, no word of death or harm is in it, no
    imminence cue other than a time word is present, and the cue rules perceive psychosis, mania
    or OCD (the condition reader reads topics and takes too many plain plans for mania to excuse
    one), the reading is the condition talking: the turn stays ``low`` so the condition's guards
    and reply answer it, not the suicide protocol nor, for a faint reading ("say I'm clean and I
    promise I'll stop"), a question about suicide. Words inside a condition's own cue ("pipes it
    in to poison me", "intrusive thoughts of hurting him") are the belief or the obsession, not a
    word of death or harm beside it.
    """
    if r.level == "none" or r.pattern_level != "none" or prior.pattern_max != "none":
        return r
    beside = set(risk_keywords(window, _cue_spans(reading, len(window) - 1))) - _CONDITION_WORDS
    if set(reading.imminence) - {"timing_now"} or beside:
        return r
    found = sorted({*reading.conditions, *reading.suspected} & _EXPLAINING)
    if not found:
        return r
    cats = {c: ("low" if c in _SELF else lv) for c, lv in r.cats.items()}
    note = f"a reading only the classifier made, with {', '.join(found)} perceived: low (guards on)"
    return replace(r, level="low", cats=cats, notes=(*r.notes, note), explained_by=tuple(found))


def _cue_spans(reading: ConditionReading, last: int) -> dict[int, list[tuple[int, int]]]:
    """Map each message of a window (``last`` is the current one) to its condition cues' spans.

    A belief of being dead is left out: it is itself talk of death, and it carries a risk of
    suicide and of self-starvation that the protocol's direct question should answer.
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    for cue in reading.cues:
        if cue.condition in _EXPLAINING and cue.group != "believes_dead":
            turn = last if cue.turn is None else cue.turn
            spans.setdefault(turn, []).append((cue.start, cue.end))
    return spans


def _earlier_sign(self_max: RiskLevel) -> MeansContext | None:
    """Return the warning sign that earlier self-directed risk stands for before a means question.

    Active ideation or more is ideation (the protocol answers the question); a borderline
    reading alone is distress, so two uncertain readings (a classifier's ``low`` and a learned
    means question) ask about suicide without starting the protocol.
    """
    if reaches(self_max, "moderate"):
        return "ideation"
    return "distress" if reaches(self_max, "low") else None


def _suspected_only(readings: LearnedConditions) -> LearnedConditions:
    """Return one message's learned readings with every held condition demoted to suspected."""
    return tuple((kind, "suspected", said, start, end) for kind, _, said, start, end in readings)


def _carried_level(r: _TurnResult) -> RiskLevel:
    """Return the level an earlier turn carries into later ones.

    Risk told earlier counts one level lower, so one disclosure does not hold the conversation
    at its level for good; but imminent risk (the means at hand and the time set, an act under
    way) and an attempt told at ``high`` (not years ago, which the rules read one level lower)
    do not lessen because the client talks of something else, so such a turn keeps its level.
    """
    if r.level == "imminent" or ("attempt" in r.signals and reaches(r.level, "high")):
        return r.level
    return lower_level(r.level)


def _with_conditions(r: _TurnResult, reading: ConditionReading, earlier: RiskLevel) -> _TurnResult:
    """Attach the perceived conditions to a turn and lift its level for imminence cues.

    Psychotic content and mania are flagged as categories (guards tighten); OCD needs no
    category because only the reply changes. Imminence cues raise the self-directed level
    only together with the ideation this turn or earlier turns showed (see
    :func:`theraloop.agent.safety.conditions.imminence_level`).
    """
    if "plan_denied" in r.signals and "timing_now" in reading.imminence:
        # "I'm not planning anything right now": the time word belongs to the denial
        kept = tuple(c for c in reading.imminence if c != "timing_now")
        reading = reading.model_copy(update={"imminence": kept})
    cats = dict(r.cats)
    for kind in reading.conditions:
        cat = _CONDITION_CATEGORY.get(kind)
        if cat is not None and cat not in cats:
            cats[cat] = "moderate"
    lifted = imminence_level(reading, max_level([r.level, earlier]))
    if level_rank(lifted) <= level_rank(r.level):
        return replace(r, cats=cats, conditions=reading)
    cats["suicide"] = max_level([cats.get("suicide", "none"), lifted])
    cues = (
        EvidenceSpan(
            text=cue.text,
            start=cue.start,
            end=cue.end,
            source="patterns",
            signal=f"imminence_{cue.group}",
            category="suicide",
            level=lifted,
        )
        for cue in reading.cues
        if cue.condition == "imminence" and cue.turn is None
    )
    return replace(
        r,
        level=lifted,
        cats=cats,
        conditions=reading,
        notes=(*r.notes, f"{', '.join(reading.imminence)} with ideation: {lifted}"),
        evidence=(*r.evidence, *cues),
    )


def _pattern_layer(a: _Analysis, index: int) -> _PatternLayer:
    """Turn the rule hits of one turn into levels, categories and evidence."""
    level: RiskLevel = "none"
    ideation: RiskLevel = "none"
    bumps: list[tuple[str, RiskLevel]] = []
    for h in a.hits:
        if h.signal in MODIFIER_SIGNALS or h.category is None:
            continue
        if h.category in _SELF:
            level = max_level([level, h.level])
            if h.signal not in ("means_question", "lethal_means_question"):
                ideation = max_level([ideation, h.level])
        bumps.append((h.category, h.level))
    evidence = tuple(
        EvidenceSpan(
            text=h.text,
            start=h.start,
            end=h.end,
            source="patterns",
            signal=h.signal,
            category=h.category,
            level=h.level,
            turn=index,
        )
        for h in a.hits
    )
    return _PatternLayer(
        level=level,
        ideation=ideation,
        categories=tuple(bumps),
        evidence=evidence,
        signals=frozenset(h.signal for h in a.hits),
        error=a.pattern_error,
    )


def _context_layer(
    a: _Analysis,
    prior: _Prior,
    base: RiskLevel,
    ideation: RiskLevel,
    borderline: bool,
    distress: bool,
    signals: frozenset[str],
    cats: dict[str, RiskLevel],
) -> _ContextLayer:
    """Combine this turn's signals with earlier turns (see the module docstring, layer 4).

    ``base`` is the turn's own level, ``ideation`` the same without its means questions, and
    ``cats`` the categories the earlier layers flagged.
    """
    notes: list[str] = []
    bumps: list[tuple[str, RiskLevel]] = []
    level = base
    earlier = prior.self_max
    ideation_any = max_level([ideation, earlier])

    def lift(to: RiskLevel, note: str) -> None:
        nonlocal level
        level = max_level([level, to])
        notes.append(note)

    if "means_question" in signals:
        if reaches(ideation_any, "low"):
            lift("high", "means question after ideation")
        elif distress or prior.distress:
            lift("moderate", "means question after distress")
    if "lethal_means_question" in signals and reaches(ideation_any, "low"):
        lift("high", "lethal-means question after ideation")
    if reaches(ideation_any, "moderate"):
        if signals & {"intent_vague", "plan_vague"}:
            lift("high", "vague intent or plan after active ideation")
        if "means_access" in signals:
            lift("high", "means at hand with active ideation")
    strong_now = bool(signals & _INTENT_SIGNALS) or (
        "intent_vague" in signals and reaches(ideation_any, "moderate")
    )
    carried_intent = reaches(earlier, "high") and (
        "intent_vague" in signals or reaches(level, "moderate")
    )
    if "timing" in signals and "plan_denied" not in signals and (strong_now or carried_intent):
        lift("imminent", "intent or plan with timing now")
    if (
        "means_access" in signals
        and reaches(ideation_any, "high")
        and signals & {"timing", "intent_vague"}
    ):
        lift("imminent", "plan with means at hand")
    if reaches(base, "low") and not borderline and prior.ideation_turns + 1 >= 3:
        if not reaches(level, "moderate"):
            notes.append("passive ideation persisting over turns")
        level = max_level([level, "moderate"])
    # harm to others: threat with timing or means
    h2o = cats.get("harm_to_others", "none")
    if reaches(h2o, "moderate") and signals & {"timing", "means_access"}:
        bumps.append(("harm_to_others", "high" if h2o == "moderate" else "imminent"))
    # mania: two kinds of signal (this turn or the two before), or one plus the classifier
    recent = frozenset().union(*prior.mania_signals[-2:])
    mania_now = signals & MANIA_SIGNALS
    grand_hits = sum(1 for h in a.hits if h.signal == "grandiosity")
    if mania_now and (len(mania_now | recent) >= 2 or grand_hits >= 2 or "mania" in cats):
        bumps.append(("mania", "high" if "timing" in signals else "moderate"))
    return _ContextLayer(level=level, categories=tuple(bumps), notes=tuple(notes))


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def _grounded(quote: str, a: _Analysis, band_low: float) -> bool:
    """Say whether the LLM's quote is the client's own words of risk in this message.

    A small model escalates supportive or unrelated text ("do you feel hopeless?") as readily as
    a disclosure, so an escalation must point at words that are really in the message, that do
    not speak only of someone else, and that a layer already found risky (a pattern hit or a
    classifier reading inside the borderline band) and that make up at least half of the quote,
    so copying the whole message does not pass.
    """
    wanted = _normal(quote)
    if len(wanted.split()) < 2 or wanted not in _normal(a.text) or about_someone_else(quote):
        return False
    spans = [(h.start, h.end) for h in a.hits if h.level != "none"]
    spans += [(r.start, r.end) for r in a.readings if r.self_risk >= band_low]
    for start, end in spans:
        piece = _normal(a.text[start:end])
        if piece and (wanted in piece or (piece in wanted and 2 * len(piece) >= len(wanted))):
            return True
    return False


def _classifier_span(
    a: _Analysis,
    reading: ClassifierReading,
    signal: str,
    category: RiskCategory | None,
    level: RiskLevel,
    turn: int,
) -> EvidenceSpan:
    return EvidenceSpan(
        text=a.text[reading.start : reading.end],
        start=reading.start,
        end=reading.end,
        source="classifier",
        signal=signal,
        category=category,
        level=level,
        turn=turn,
    )


def _llm_span(
    a: _Analysis, anchor: ClassifierReading, turn: int, said: RiskLevel, *, counted: RiskLevel
) -> EvidenceSpan:
    return EvidenceSpan(
        text=a.text[anchor.start : anchor.end],
        start=anchor.start,
        end=anchor.end,
        source="llm",
        signal=f"llm_{said}",
        category="suicide" if counted != "none" else None,
        level=counted,
        turn=turn,
    )


def _counted_readings(a: _Analysis) -> list[ClassifierReading]:
    """Drop classifier readings of sentences whose risk words the patterns explicitly cancelled.

    "I'm not suicidal", "my friend wants to die" or "this exam is killing me" look risky to an
    embedding; a negation, another person as subject or an idiom, found by the pattern layer,
    wins over that similarity unless the same sentence also holds the speaker's own risk statement.
    So does a threat to someone else ("I can't promise what I'll do when I find proof"): the
    pattern layer reads it as harm to others, not as the speaker's own plan.
    """
    cancelled = [
        (h.start, h.end)
        for h in a.hits
        if h.signal in ("negated", "other_person", "idiom") or h.category == "harm_to_others"
    ]
    if not cancelled:
        return list(a.readings)
    positive = [
        (h.start, h.end) for h in a.hits if h.level != "none" and h.category != "harm_to_others"
    ]

    def overlaps(r: ClassifierReading, spans: list[tuple[int, int]]) -> bool:
        return any(s < r.end and r.start < e for s, e in spans)

    return [r for r in a.readings if not overlaps(r, cancelled) or overlaps(r, positive)]


def _summary(cur: _TurnResult, level: RiskLevel) -> str:
    quiet = MODIFIER_SIGNALS - {"sleep_loss", "grandiosity", "means_access", "intent_vague"}
    signals = sorted(s for s in cur.signals if s not in quiet)
    if signals:
        return f"patterns: {', '.join(signals)}"
    return "no risk signal" if level == "none" else f"level {level}"
