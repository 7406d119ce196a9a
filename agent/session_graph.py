"""The intra-session loop: one LangGraph invocation per client turn.

Data flow::

    client text -> perceive -> assess_risk --crisis--> crisis_protocol ---------------+
                                   |                                                 v
                                   +--> recall -> read_reaction -> choose_strategy   |
                                                                        |            |
                                              reply <- remember <- respond <---------+

``assess_risk`` always runs before any reply is drafted and cannot be skipped by the model: the
crisis branch never calls the therapist model. Every node returns only the keys it changes and
appends its wall time to ``timings``; ``remember`` writes a turn's memories in one batch with
deterministic ids, so a turn replayed after a crash overwrites instead of duplicating.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore

from theraloop.agent._redact import redact
from theraloop.agent.context import SessionContext, check_turn_input, require_context
from theraloop.agent.llm import invoke_with_timeout
from theraloop.agent.perception import read_reaction as read_client_reaction
from theraloop.agent.prompts import (
    REPEAT_WINDOW,
    draft_problem,
    drop_repeated_sentences,
    therapist_messages,
)
from theraloop.agent.records import CrisisRecord
from theraloop.agent.safety import (
    CrisisEvent,
    crisis_reply,
    protocol_urgent_lines,
    safe_fallback_reply,
)
from theraloop.agent.safety.conditions import (
    condition_exemplars,
    condition_guidance,
    steer_strategy,
)
from theraloop.agent.state import (
    NodeTiming,
    RecalledMemory,
    SessionInput,
    SessionState,
    TurnRecord,
)
from theraloop.agent.strategy_prior import learned_prior
from theraloop.memory import NewMemory
from theraloop.memory.facts import current_text, fact_key, forget_request
from theraloop.strategies import PolicyInput, detect_request, get_strategy, strategy_guidance
from theraloop.strategies import choose_strategy as policy_choose

__all__ = ["build_intra_session", "route_risk", "NODES", "call_model"]

NODES = (
    "perceive",
    "assess_risk",
    "crisis_protocol",
    "recall",
    "read_reaction",
    "choose_strategy",
    "respond",
    "remember",
)
_HISTORY_TURNS = 6
_MIN_TRIMMED_WORDS = 4
_USED_THRESHOLD = 0.55

Node = Callable[[SessionState, Runtime[SessionContext]], dict[str, Any]]


def _timed(fn: Node) -> Node:
    """Append the node's wall time to ``timings`` (latency is wall time, not the injected clock)."""

    @wraps(fn)
    def wrapper(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
        require_context(runtime.context, SessionContext, "therapist session")
        check_turn_input(state)
        start = time.perf_counter()
        update = fn(state, runtime)
        ms = (time.perf_counter() - start) * 1000.0
        timing = NodeTiming(turn_index=state["turn_index"], node=fn.__name__, ms=ms)
        return {**update, "timings": [timing]}

    return wrapper


def call_model(
    model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    retries: int,
    timeout_s: float | None = None,
    recent: Sequence[str] = (),
    instructions: str | None = None,
    revise: Callable[[str], list[BaseMessage]] | None = None,
    engaged: bool = False,
    client: str | None = None,
    **kwargs: Any,
) -> tuple[str | None, list[str]]:
    """Invoke a chat model with bounded retries; return ``(text or None, errors)``, never raise.

    An attempt fails when it errors, takes longer than ``timeout_s`` (abandoned), or drafts a
    reply :func:`~theraloop.agent.prompts.draft_problem` rejects (empty, a template placeholder,
    talk about the client, words copied from ``instructions``, the ``client``'s message handed
    back, a sentence repeated from ``recent``, and with ``engaged`` a flat refusal or a bare
    acknowledgement). The next attempt
    is sent the prompt plus a note saying what to fix (``revise(fix)``; by default the note is
    appended to the last human message), and after a repeat or an unengaged draft it samples
    warmer (see :func:`_warmer`), since a small model asked the same thing at a low temperature
    tends to say the same thing again. When every attempt has such a soft problem, the last
    draft is returned: a repeat without its repeated sentences if enough is left, else as it is,
    and an unengaged one as it is, for the caller to guard and then replace. A draft with any
    other problem is never returned, and the caller falls back to a safe reply when every
    attempt failed.
    """
    errors: list[str] = []
    repeat: str | None = None
    current = model
    revise = revise or (lambda fix: _with_note(messages, fix))
    for attempt in range(retries + 1):
        try:
            answer = invoke_with_timeout(current, messages, timeout_s=timeout_s, **kwargs)
            text = str(answer.content).strip()
        except Exception as exc:  # noqa: BLE001 - any provider failure is retried, then falls back
            errors.append(redact(f"attempt {attempt + 1}: {type(exc).__name__}: {exc}")[:300])
            continue
        problem = draft_problem(text, recent, instructions, engaged=engaged, client=client)
        if problem is None:
            return text, errors
        errors.append(f"attempt {attempt + 1}: {problem.detail}")
        if problem.soft:
            repeat = text
            current = _warmer(model, attempt + 1)
        if problem.kind != "empty":
            messages = revise(problem.fix)
    if repeat is not None:
        trimmed = drop_repeated_sentences(repeat, recent)
        if (
            len(trimmed.split()) >= _MIN_TRIMMED_WORDS
            and draft_problem(trimmed, recent, instructions, engaged=engaged, client=client) is None
        ):
            errors.append("sent without its repeated sentences")
            return trimmed, errors
    return repeat, errors


def _with_note(messages: list[BaseMessage], note: str) -> list[BaseMessage]:
    """Return ``messages`` with ``note`` appended to the last human message (or added as one)."""
    last = messages[-1] if messages else None
    if isinstance(last, HumanMessage) and isinstance(last.content, str):
        return [*messages[:-1], HumanMessage(f"{last.content}\n\n{note}")]
    return [*messages, HumanMessage(note)]


def _warmer(model: BaseChatModel, step: int) -> BaseChatModel:
    """Return a copy of ``model`` sampling hotter (0.4 per step, at most 1.2), if it has a knob.

    Models without a ``temperature`` field (scripted test models, custom wrappers) are returned
    as they are.
    """
    if "temperature" not in type(model).model_fields:
        return model
    base = getattr(model, "temperature", None)
    base = 0.3 if base is None else float(base)
    return model.model_copy(update={"temperature": min(1.2, max(base, 0.3) + 0.4 * step)})


def _client_context(state: SessionState, n: int = 4) -> list[str]:
    return [t.client_text for t in state.get("turns", [])[-n:]]


@_timed
def perceive(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Read the client's emotion and its intensity (1-5)."""
    # the whole session (up to 20 messages): the learned heads read the client's lasting state
    reading = runtime.context.perceiver.perceive(state["client_text"], _client_context(state, 20))
    return {"emotion": reading}


@_timed
def assess_risk(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Assess crisis risk on the C-SSRS scale, using the session's earlier client turns too."""
    assessment = runtime.context.assessor.assess(state["client_text"], _client_context(state, 8))
    if getattr(assessment, "errors", None):  # a failed layer's message may quote a credential
        scrubbed = [redact(e) for e in assessment.errors]
        assessment = assessment.model_copy(update={"errors": scrubbed})
    return {"risk": assessment}


def route_risk(state: SessionState) -> str:
    """Send moderate-or-higher risk to the fixed crisis protocol, everything else onward."""
    return "crisis_protocol" if state["risk"].requires_protocol else "recall"


@_timed
def crisis_protocol(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Answer with the fixed protocol reply; the therapist model is never called on this path."""
    ctx = runtime.context
    risk = state["risk"]
    # what else comes first in the last few messages (a baby on water only) rides with it
    urgent = protocol_urgent_lines(state["client_text"], risk, _client_context(state))
    reply = crisis_reply(risk, locale=ctx.locale, urgent=urgent)
    return {
        "reply": reply,
        "reply_source": "crisis_protocol",
        "crisis": True,
        "recalled": [],
        "strategy": None,
        "reaction": None,
        "guard_violations": [],
        "errors": [],
    }


@_timed
def recall(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Fetch this client's relevant long-term memories, portrait and current plan."""
    ctx = runtime.context
    plan = ctx.records.current_plan(ctx.client_id)
    if ctx.memory is None:
        return {"recalled": [], "portrait": "No long-term memory in use.", "plan": plan}
    hits = ctx.memory.search(
        ctx.client_id,
        state["client_text"],
        k=ctx.memory_k,
        now=ctx.clock(),
        kinds=("turn", "session_summary", "insight", "crisis"),
        exclude_session_id=ctx.session_id,  # this session's turns are already in the prompt
        distinct=True,  # a repeated text (a stock reply) would crowd out distinct memories
    )
    # a summary or reply quoting a fact the client has since changed drops that sentence
    facts = ctx.memory.current_facts(ctx.client_id)
    texts = [current_text(h.item, facts) for h in hits]
    recalled = [
        RecalledMemory(
            item_id=h.item.id,
            text=text,
            kind=h.item.kind,
            session_id=h.item.session_id,
            created_at=h.item.created_at.date().isoformat(),
            similarity=round(float(h.similarity), 4),
            lexical=round(float(h.lexical), 4),
            retention=round(float(h.retention), 4),
            score=round(float(h.score), 4),
        )
        for h, text in zip(hits, texts, strict=True)
        if text
    ]
    # the facts as they stand now: one told or forgotten earlier in this session counts already
    portrait = ctx.records.portrait(ctx.client_id).with_facts(facts).render()
    return {"recalled": recalled, "portrait": portrait, "plan": plan}


@_timed
def read_reaction(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Classify the client's reaction to the last reply (engaged, resistant, off-topic, ...)."""
    turns = state.get("turns", [])
    context = [t.reply for t in turns[-2:]] + [t.client_text for t in turns[-2:]]
    reading = read_client_reaction(state["client_text"], context, embedder=runtime.context.embedder)
    return {"reaction": reading}


@_timed
def choose_strategy(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Pick a counseling strategy from the catalog for this moment."""
    plan = state.get("plan")
    emotion = state["emotion"]
    turns = state.get("turns", [])
    recent = [t.strategy for t in turns if t.strategy][-3:]
    request = detect_request(state["client_text"])
    choice = policy_choose(
        PolicyInput(
            emotion=emotion.label,
            intensity=emotion.intensity,
            reaction=state["reaction"].label,
            stage=plan.stage if plan else "exploration",
            modality=plan.modality if plan else "person_centred",
            recent_strategies=recent,
            turn_index=state["turn_index"],
            request=request,
            learned=learned_prior(turns, state["client_text"], request, runtime.context.embedder),
        )
    )
    steered = steer_strategy(state["risk"].conditions, choice.strategy)
    if steered is not None:  # psychosis, mania or OCD: no strategy that would collude
        choice = choice.model_copy(update={"strategy": steered[0], "reason": steered[1]})
    return {"strategy": choice}


def _exemplars(state: SessionState) -> tuple[list[tuple[str, str]], str | None]:
    """Return the turn's example exchanges and what they show when not the strategy.

    While psychosis, mania or OCD is perceived, the condition's exemplars replace the strategy's:
    the strategy's own examples were written for ordinary sessions and can model exactly the
    agreement or reassurance the condition rules out.
    """
    strategy = get_strategy(state["strategy"].strategy)
    held = condition_exemplars(state["risk"].conditions)
    if held:
        labels = ", ".join(dict.fromkeys(e.label for e in held))
        return [(e.client, e.reply) for e in held], f"{strategy.name}, with {labels}"
    return [(e.client, e.reply) for e in strategy.exemplars], None


def _messages(
    state: SessionState, history: list[tuple[str, str]], extra: str | None
) -> list[BaseMessage]:
    strategy = get_strategy(state["strategy"].strategy)
    memories = [(m.created_at or "", m.text) for m in state.get("recalled", [])]  # fenced
    exemplars, shows = _exemplars(state)
    return therapist_messages(
        plan=state.get("plan"),
        portrait=state.get("portrait", ""),
        history=history,
        client_text=state["client_text"],
        strategy_name=strategy.name,
        strategy_guidance=strategy_guidance(strategy.id, examples=False),
        exemplars=exemplars,
        exemplars_show=shows,
        memories=memories,
        emotion=state["emotion"].label,
        intensity=state["emotion"].intensity,
        reaction=state["reaction"].label,
        extra_instruction=extra,
    )


def _draft(
    state: SessionState, ctx: SessionContext, extra: str | None
) -> tuple[str | None, list[str]]:
    history = [(t.client_text, t.reply) for t in state.get("turns", [])[-_HISTORY_TURNS:]]
    return call_model(
        ctx.therapist_model,
        _messages(state, history, extra),
        retries=ctx.model_retries,
        timeout_s=ctx.model_timeout_s,
        # an exemplar's reply copied word for word counts as a repeat, so it is redrafted
        recent=[reply for _, reply in history[-REPEAT_WINDOW:]]
        + list(get_strategy(state["strategy"].strategy).examples)
        + [reply for _, reply in _exemplars(state)[0]],
        instructions=extra,
        revise=lambda fix: _messages(state, history, " ".join(filter(None, (extra, fix)))),
        engaged=True,
        client=state["client_text"],
        max_tokens=ctx.max_reply_tokens,
    )


def _unengaged(draft: str) -> bool:
    """Say whether a draft only refuses or acknowledges (every redraft of it did too)."""
    problem = draft_problem(draft, engaged=True)
    return problem is not None and problem.kind == "unengaged"


def _model_fallback(
    state: SessionState, ctx: SessionContext, earlier: list[str], errors: list[str]
) -> dict[str, Any]:
    """Return the turn's update when the model gave no draft fit to send."""
    return {
        "reply": safe_fallback_reply(
            "model_failure",
            client_text=state["client_text"],
            risk=state["risk"],
            locale=ctx.locale,
            earlier=earlier,
        ),
        "reply_source": "model_fallback",
        "guard_violations": [],
        "errors": errors,
    }


@_timed
def respond(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Draft the reply with the therapist model, guard it, regenerate once, else fall back.

    Perceived conditions (psychosis, mania, OCD) add their reply instructions to the prompt; the
    guards run on every draft whatever the risk level.
    """
    ctx = runtime.context
    risk = state["risk"]
    guidance = condition_guidance(risk.conditions) or None
    earlier = _client_context(state)  # the guards read what comes first in the last few
    draft, errors = _draft(state, ctx, guidance)
    if draft is None:
        return _model_fallback(state, ctx, earlier, errors)
    verdict = ctx.guard.check(draft, state["client_text"], risk, earlier)
    if verdict.ok and _unengaged(draft):
        return _model_fallback(state, ctx, earlier, errors)
    if verdict.ok:
        return {"reply": draft, "reply_source": "model", "guard_violations": [], "errors": errors}
    kinds = sorted(verdict.kinds)
    reason = ctx.guard.redraft_instruction(verdict)
    retry, more = _draft(state, ctx, " ".join(filter(None, (guidance, reason))))
    errors += more
    if (
        retry is not None
        and not _unengaged(retry)
        and ctx.guard.check(retry, state["client_text"], risk, earlier).ok
    ):
        return {
            "reply": retry,
            "reply_source": "guard_regenerated",
            "guard_violations": kinds,
            "errors": errors,
        }
    return {
        "reply": safe_fallback_reply(
            ctx.guard.fallback_kind(verdict, state["client_text"], risk, earlier) or kinds[0],
            client_text=state["client_text"],
            risk=risk,
            locale=ctx.locale,
            earlier=earlier,
        ),
        "reply_source": "guard_fallback",
        "guard_violations": kinds,
        "errors": errors,
    }


_WORD = re.compile(r"[a-z']{4,}")


def _used(reply: str, memory_text: str, similarity: float) -> bool:
    """Decide whether a reply drew on a memory: shared content words, or close meaning."""
    shared = set(_WORD.findall(reply.lower())) & set(_WORD.findall(memory_text.lower()))
    return len(shared) >= 2 or similarity >= _USED_THRESHOLD


@_timed
def remember(state: SessionState, runtime: Runtime[SessionContext]) -> dict[str, Any]:
    """Store the turn pair, reinforce the memories the reply used, record the decision trace."""
    ctx = runtime.context
    now = ctx.clock()
    turn = state["turn_index"]
    trace_id = f"{ctx.session_id}:{turn:04d}"
    emotion, risk = state["emotion"], state["risk"]
    reply = state["reply"]
    recalled = list(state.get("recalled") or [])
    if ctx.memory is not None:
        request = forget_request(state["client_text"])
        if request is not None:  # deleted now; the rest of the session is written redacted
            ctx.memory.forget(ctx.client_id, request, session_id=ctx.session_id, now=now)
        # one write for the turn's memories; ids keyed by turn, so a replayed turn overwrites
        base = {"session_id": ctx.session_id, "emotion_tags": (emotion.label,)}
        key = fact_key(state["client_text"])
        memories = [
            NewMemory(
                text=state["client_text"],
                kind="turn",
                speaker="client",
                importance=min(1.0, 0.3 + 0.14 * emotion.intensity),
                item_id=f"{trace_id}:client",
                fact_key=None if key is None else key.text,
                **base,
            ),
            NewMemory(
                text=reply,
                kind="turn",
                speaker="therapist",
                importance=0.3,
                item_id=f"{trace_id}:therapist",
                source_ids=(f"{trace_id}:client",),  # forgetting the words forgets the answer
                **base,
            ),
        ]
        if request is not None:  # the request and its answer hold nothing worth recalling
            memories = []
        if state.get("crisis"):
            memories.append(
                NewMemory(
                    text=f"Crisis ({risk.level}) in session {ctx.session_number}: "
                    f"{state['client_text']}",
                    kind="crisis",
                    importance=1.0,
                    pinned=True,
                    item_id=f"{trace_id}:crisis",
                    **base,
                )
            )
        ctx.memory.add_many(ctx.client_id, memories)
        if recalled and request is None:  # a forget turn reinforces nothing (some may be gone)
            reply_vec = None
            used_ids: list[str] = []
            for i, mem in enumerate(recalled):
                similarity = 0.0
                if not _used(reply, mem.text, 0.0):
                    if reply_vec is None:
                        reply_vec = ctx.embedder.embed_query(reply)
                    mem_vec = ctx.embedder.embed_query(mem.text)
                    similarity = sum(a * b for a, b in zip(reply_vec, mem_vec, strict=True))
                if _used(reply, mem.text, similarity):
                    used_ids.append(mem.item_id)
                    recalled[i] = mem.model_copy(update={"used": True})
            if used_ids:
                ctx.memory.reinforce(ctx.client_id, used_ids, now=now, query=trace_id)
    strategy = state.get("strategy")
    reaction = state.get("reaction")
    plan = state.get("plan")
    record = TurnRecord(
        turn_index=turn,
        trace_id=trace_id,
        at=now.isoformat(),
        client_text=state["client_text"],
        reply=reply,
        reply_source=state["reply_source"],
        emotion=emotion.label,
        intensity=emotion.intensity,
        reaction=reaction.label if reaction else None,
        risk_level=risk.level,
        crisis=bool(state.get("crisis")) and state["reply_source"] == "crisis_protocol",
        strategy=strategy.strategy if strategy else None,
        strategy_reason=strategy.reason if strategy else None,
        modality=plan.modality if plan else None,
        stage=plan.stage if plan else None,
        recalled=tuple(recalled),
        guard_violations=tuple(state.get("guard_violations") or ()),
        errors=tuple(state.get("errors") or ()),
    )
    timings = [t for t in state.get("timings", []) if t.turn_index == turn]
    trace = {
        **record.model_dump(mode="json"),
        "session_id": ctx.session_id,
        "session_number": ctx.session_number,
        "emotion_confidence": emotion.confidence,
        "risk": risk.model_dump(mode="json"),
        "strategy_scores": strategy.scores if strategy else {},
        "latency_ms": {t.node: round(t.ms, 2) for t in timings},
    }
    ctx.records.save_trace(ctx.client_id, trace_id, trace)
    if record.crisis:
        crisis = CrisisRecord(
            client_id=ctx.client_id,
            session_id=ctx.session_id,
            turn_index=turn,
            at=now,
            level=risk.level,
            categories=tuple(sorted(risk.categories)),
            evidence=tuple(e.text for e in risk.evidence),
            reply=reply,
        )
        ctx.records.save_crisis(crisis)
        if ctx.on_crisis is not None:
            ctx.on_crisis(
                CrisisEvent(
                    client_id=ctx.client_id,
                    session_id=ctx.session_id,
                    at=now,
                    assessment=risk,
                    reply=reply,
                )
            )
    return {"turns": [record], "recalled": recalled}


def build_intra_session(
    *,
    checkpointer: BaseCheckpointSaver | bool | None = None,
    store: BaseStore | None = None,
    name: str = "therapist_session",
) -> Any:
    """Compile the intra-session graph; pass its context as ``invoke(..., context=SessionContext)``.

    The compiled graph can be embedded as a subgraph of an app's own LangGraph graph: pass
    ``checkpointer=True`` there, so it keeps the session's turns in the parent's checkpointer
    (one parent thread per session) instead of starting afresh on every parent invocation.

    Example:
        >>> graph = build_intra_session()
        >>> sorted(n for n in graph.get_graph().nodes if not n.startswith("__"))[:3]
        ['assess_risk', 'choose_strategy', 'crisis_protocol']
    """
    builder = StateGraph(SessionState, context_schema=SessionContext, input_schema=SessionInput)
    builder.add_node("perceive", perceive)
    builder.add_node("assess_risk", assess_risk)
    builder.add_node("crisis_protocol", crisis_protocol)
    builder.add_node("recall", recall)
    builder.add_node("read_reaction", read_reaction)
    builder.add_node("choose_strategy", choose_strategy)
    builder.add_node("respond", respond)
    builder.add_node("remember", remember)
    builder.add_edge(START, "perceive")
    builder.add_edge("perceive", "assess_risk")
    builder.add_conditional_edges("assess_risk", route_risk, ["crisis_protocol", "recall"])
    builder.add_edge("recall", "read_reaction")
    builder.add_edge("read_reaction", "choose_strategy")
    builder.add_edge("choose_strategy", "respond")
    builder.add_edge("respond", "remember")
    builder.add_edge("crisis_protocol", "remember")
    builder.add_edge("remember", END)
    return builder.compile(checkpointer=checkpointer, store=store, name=name)
