"""Memory probes: does the therapist recall, weeks or years later, the fact a reply needs?

Usage::

    .venv/bin/python benchmarks/memory_probe.py                      # fake model, full grid
    .venv/bin/python benchmarks/memory_probe.py --gaps 30 --decay on --clients probe-maya
    .venv/bin/python benchmarks/memory_probe.py --model local        # also: does the reply use it
    .venv/bin/python benchmarks/memory_probe.py --record benchmarks/results/memory_probe.json
    .venv/bin/python benchmarks/memory_probe.py --reply-model local --limit 2 --gaps 7 --decay off

Scripted clients (``benchmarks/data/memory_probe_v1.yaml``, frozen: the sha256 below) talk to
the real agent (``TherapistAgent`` with real Chroma and MiniLM; only the chat model is the
``fake`` one unless ``--model`` says otherwise). Over six sessions spaced ``gap`` days apart they
disclose 68 facts (people and names, events and dates, homework set and done, triggers, goals,
preferences, medication changes), change 12 of them, and ask the therapist to forget 4; later
messages are probes whose good reply needs a fact. For each probe the recall node's memories
(``Reply.recalled``, top ``k``) are read:

* **hit@k** (probes of valid facts): a recalled memory holds the fact's evidence words; the
  ``recall`` column leaves out probes the recall node is not meant to answer: a turn that took
  the crisis path (the protocol reply recalls nothing) and a fact told earlier in the same
  session (it is in the prompt; recall brings earlier sessions only);
* **superseded as current** (probes of changed facts): a recalled memory holds an older value's
  evidence but not the newest value's;
* **erased recalled** (probes of forgotten facts): a recalled memory holds the erased words;
  after the run, **erased stored** counts memories that still hold them anywhere in the store;
* **reply uses fact** (``--model`` or ``--reply-model`` not ``fake``): the reply itself holds the
  evidence; ``--reply-model local`` has the embedded model write the probe turns' replies only
  (every other turn, and the summaries, stay on ``--model``), which makes it affordable on a CPU;
  ``--limit N`` keeps each client's first N probes of current facts (later turns still run, on
  ``--model``, when they lead to a kept probe).

Each grid cell (gap x decay) runs twice in the same process: with temporal validity (fact keys
supersede, forget requests delete; the agent as shipped) and a baseline store that ignores fact
keys and forget requests (every memory stays current, nothing is forgotten). Decay ``on`` is the
default policy (retention damps the score; memories under R = 0.02 are archived at session end; a
memory ages by at most 7 days per later session of the client); ``calendar`` is the same policy
ageing memories by the calendar alone (``session_days=None``, the default before); ``off`` sets
the retention weight and the archive threshold to 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _record import Table, add_record_options, write_record  # noqa: E402

from theraloop.agent import Settings, TherapistAgent  # noqa: E402
from theraloop.agent._wiring import build_components  # noqa: E402
from theraloop.agent.llm import make_chat_model  # noqa: E402
from theraloop.agent.therapist import Reply  # noqa: E402
from theraloop.memory import (  # noqa: E402
    CachingEmbedder,
    DecayPolicy,
    Embedder,
    ManualClock,
    MemoryItem,
    MemoryStore,
    MiniLMEmbedder,
    NewMemory,
    RankingPolicy,
    open_chroma_client,
)
from theraloop.memory.facts import ForgetRequest  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "memory_probe_v1.yaml"
FROZEN_SHA256 = "0fa62dcd8e5c7063bf2f5352bbb0cb97b4f6bf3f045c9f97de517393fda5f11a"
START = datetime(2026, 1, 5, 9, tzinfo=UTC)

ProbeKind = Literal["valid", "changed", "erased"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of the probe set."""

    id: str
    category: str
    evidence: tuple[str, ...]
    replaces: str | None


@dataclass(frozen=True, slots=True)
class Turn:
    """One scripted client message and its role."""

    say: str
    role: Literal["fact", "forget", "probe", "probe_erased", "talk"]
    fact: str | None


@dataclass(frozen=True, slots=True)
class ProbeSet:
    """The frozen probe set."""

    facts: Mapping[str, Fact]
    clients: Mapping[str, tuple[tuple[Turn, ...], ...]]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What the recall node brought for one probe."""

    client: str
    session: int
    fact: str
    kind: ProbeKind
    hit: bool
    superseded_as_current: bool
    erased_recalled: bool
    reply_uses: bool
    recalled: int
    crisis: bool
    """The turn took the crisis path, which answers with the protocol and recalls nothing."""
    same_session: bool
    """The fact was told earlier in the probe's own session (in the prompt, not in recall)."""
    reply_by_model: bool = True
    """The measured model wrote the reply (``--reply-model`` writes only the chosen probes')."""
    reply_source: str = "model"
    """Where the reply came from (``model``, ``guard_fallback``, ``crisis_protocol``, ...)."""
    reply: str = ""
    """The reply itself, so a reply-uses-fact figure can be read by hand."""


def load(path: Path, *, check: bool = True) -> ProbeSet:
    """Read the probe set; refuse a file whose sha256 is not the frozen one."""
    raw_bytes = path.read_bytes()
    digest = hashlib.sha256(raw_bytes).hexdigest()
    if check and digest != FROZEN_SHA256:
        raise SystemExit(f"{path} has sha256 {digest}, not the frozen {FROZEN_SHA256}; refusing")
    raw = yaml.safe_load(raw_bytes)
    facts = {
        fid: Fact(fid, f["category"], tuple(f["evidence"]), f.get("replaces"))
        for fid, f in raw["facts"].items()
    }
    clients: dict[str, tuple[tuple[Turn, ...], ...]] = {}
    for client in raw["clients"]:
        sessions = []
        for session in client["sessions"]:
            turns = []
            for t in session:
                role = next(
                    (r for r in ("fact", "forget", "probe", "probe_erased") if r in t), None
                )
                turns.append(Turn(t["say"], role or "talk", t[role] if role else None))
            sessions.append(tuple(turns))
        clients[client["id"]] = tuple(sessions)
    return ProbeSet(facts, clients)


def holds(text: str, evidence: Sequence[str]) -> bool:
    """Return whether every evidence word or phrase is in ``text`` (whole words, any case, a
    plural ``s``/``es`` allowed)."""
    return all(re.search(rf"\b{re.escape(e)}(?:e?s)?\b", text, re.IGNORECASE) for e in evidence)


def ancestors(facts: Mapping[str, Fact], fid: str) -> list[Fact]:
    """Return the older values a fact replaced, newest first."""
    out, current = [], facts[fid].replaces
    while current is not None:
        out.append(facts[current])
        current = facts[current].replaces
    return out


class _PlainStore(MemoryStore):
    """Baseline: the same store with fact keys and forget requests ignored."""

    def add_many(
        self, client_id: str, records: Sequence[Mapping[str, object] | NewMemory]
    ) -> list[MemoryItem]:
        """Write the records without their fact keys (nothing is ever superseded)."""
        plain = [
            r.model_copy(update={"fact_key": None})
            if isinstance(r, NewMemory)
            else {**r, "fact_key": None}
            for r in records
        ]
        return super().add_many(client_id, plain)

    def forget(
        self,
        client_id: str,
        request: ForgetRequest,
        *,
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Forget nothing."""
        return []


class _ProbeRouter(BaseChatModel):
    """Therapist model that hands the turns marked ``use_reply`` to the reply model.

    The embedded model on a CPU takes about a minute a reply; writing only the probe turns' replies
    with it measures whether a reply uses a recalled fact at a fraction of the cost.
    """

    base: BaseChatModel
    reply: BaseChatModel
    use_reply: bool = False

    @property
    def _llm_type(self) -> str:
        return "probe-router"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: object,
    ) -> ChatResult:
        model = self.reply if self.use_reply else self.base
        return ChatResult(
            generations=[ChatGeneration(message=model.invoke(messages, stop=stop, **kwargs))]
        )


def chosen_probes(probes: ProbeSet, client: str, limit: int | None) -> set[tuple[int, int]]:
    """Return (session, turn) positions of ``limit`` probes of current facts, evenly spread."""
    found = [
        (s, t)
        for s, session in enumerate(probes.clients[client], start=1)
        for t, turn in enumerate(session)
        if turn.role == "probe"
    ]
    if limit is None or limit >= len(found):
        return set(found)
    if limit <= 1:
        return set(found[:limit])
    return {found[round(i * (len(found) - 1) / (limit - 1))] for i in range(limit)}


_POLICIES = {
    "on": DecayPolicy(),
    "calendar": DecayPolicy(session_days=None),
    "off": DecayPolicy(archive_threshold=0.0),
}
"""Decay settings of the grid: the default, the calendar-only policy, and no decay."""


def run_cell(
    probes: ProbeSet,
    *,
    gap_days: int,
    decay: Literal["on", "calendar", "off"],
    validity: bool,
    model: str,
    embedder: Embedder,
    clients: Sequence[str],
    k: int,
    reply_model: BaseChatModel | None = None,
    limit: int | None = None,
) -> tuple[list[ProbeResult], int]:
    """Run every client through the agent once; return the probe results and erased leftovers.

    With ``reply_model``, the replies to the probes :func:`chosen_probes` picks are its own.
    """
    results: list[ProbeResult] = []
    leftovers = 0
    with tempfile.TemporaryDirectory(prefix="memory-probe-") as tmp:
        clock = ManualClock(START)
        timeout_s = 600.0 if reply_model is not None else 120.0  # a loaded CPU is slow
        settings = Settings(
            data_dir=Path(tmp), therapist_model=model, memory_k=k, model_timeout_s=timeout_s
        )
        router = None
        models: dict[str, BaseChatModel] = {}
        if reply_model is not None:
            router = _ProbeRouter(base=make_chat_model(model), reply=reply_model)
            models["therapist"] = router
        parts = build_components(settings, clock=clock, models=models, embedder=embedder)
        store_type = MemoryStore if validity else _PlainStore
        store = store_type(
            client=open_chroma_client(),
            embedder=parts.embedder,
            clock=clock,
            policy=_POLICIES[decay],
            ranking=RankingPolicy() if decay != "off" else RankingPolicy(retention_weight=0.0),
            namespace=f"probe{uuid.uuid4().hex[:10]}",  # the in-process Chroma is shared
        )
        agent = TherapistAgent(replace(parts, memory=store), settings=settings, clock=clock)
        try:
            erased: dict[str, list[Fact]] = {c: [] for c in clients}
            told: dict[tuple[str, str], int] = {}
            sessions = max(len(probes.clients[c]) for c in clients)
            picked = {c: chosen_probes(probes, c, limit) for c in clients}
            for number in range(1, sessions + 1):  # the clients' n-th sessions share a day
                clock.set(START + timedelta(days=gap_days * (number - 1)))
                for client in clients:
                    if number > len(probes.clients[client]):
                        continue
                    agent.start_session(client)
                    for index, turn in enumerate(probes.clients[client][number - 1]):
                        clock.advance(timedelta(minutes=2))
                        own = (number, index) in picked[client]
                        if router is not None:
                            router.use_reply = own
                        reply = agent.respond(client, turn.say)
                        if turn.role == "forget" and turn.fact is not None:
                            erased[client].append(probes.facts[turn.fact])
                        if turn.role == "fact" and turn.fact is not None:
                            told[(client, turn.fact)] = number
                        if turn.role in ("probe", "probe_erased") and turn.fact is not None:
                            same = told.get((client, turn.fact)) == number
                            scored = _score(probes, client, number, turn, reply, same)
                            results.append(
                                scored
                                if own or turn.role != "probe"
                                else replace(scored, reply_by_model=False)
                            )
                    clock.advance(timedelta(minutes=5))
                    agent.end_session(client)
            for client in clients:
                texts = [i.text for i in store.items(client, include_archived=True)]
                leftovers += sum(holds(t, f.evidence) for f in erased[client] for t in texts)
                store.erase_client(client)
        finally:
            agent.close()
    return results, leftovers


def _score(
    probes: ProbeSet,
    client: str,
    session: int,
    turn: Turn,
    reply: Reply,
    same_session: bool,
) -> ProbeResult:
    fact = probes.facts[str(turn.fact)]
    texts = [m.text for m in reply.recalled]
    older = ancestors(probes.facts, fact.id)
    kind: ProbeKind = "erased" if turn.role == "probe_erased" else "changed" if older else "valid"
    found = any(holds(t, fact.evidence) for t in texts)
    stale = any(
        holds(t, old.evidence) and not holds(t, fact.evidence) for t in texts for old in older
    )
    return ProbeResult(
        client=client,
        session=session,
        fact=fact.id,
        kind=kind,
        hit=found and kind != "erased",
        superseded_as_current=stale,
        erased_recalled=found and kind == "erased",
        reply_uses=kind != "erased" and holds(reply.text, fact.evidence),
        reply_source=reply.reply_source,
        reply=reply.text,
        recalled=len(texts),
        crisis=reply.crisis,
        same_session=same_session,
    )


def summarise(results: Sequence[ProbeResult], leftovers: int) -> dict[str, float | int]:
    """Return the cell's figures: hit@k on valid and changed facts, stale and erased rates."""
    current = [r for r in results if r.kind != "erased"]
    recallable = [r for r in current if not r.crisis and not r.same_session]
    changed = [r for r in results if r.kind == "changed"]
    erased = [r for r in results if r.kind == "erased"]
    written = [r for r in current if r.reply_by_model and not r.crisis]

    def share(rows: Sequence[ProbeResult], field: str) -> float:
        return round(sum(getattr(r, field) for r in rows) / len(rows), 3) if rows else float("nan")

    return {
        "probes": len(results),
        "hit_at_k": share(current, "hit"),
        "recallable": len(recallable),
        "hit_at_k_recallable": share(recallable, "hit"),
        "hit_at_k_changed": share(changed, "hit"),
        "superseded_as_current": share(changed, "superseded_as_current"),
        "erased_recalled": sum(r.erased_recalled for r in erased),
        "erased_stored": leftovers,
        "replies": len(written),
        "reply_uses_fact": share(written, "reply_uses"),
        "reply_uses_fact_given_hit": share([r for r in written if r.hit], "reply_uses"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the grid and print one row per (gap, decay, store)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DATA)
    parser.add_argument("--model", default="fake", help="therapist model spec (fake, local, ...)")
    parser.add_argument("--gaps", type=int, nargs="+", default=[7, 30, 90, 365])
    parser.add_argument(
        "--decay", choices=list(_POLICIES), nargs="+", default=["on", "calendar", "off"]
    )
    parser.add_argument("--clients", nargs="+", default=None, help="client ids (default: all)")
    parser.add_argument("--k", type=int, default=5, help="memories the recall node brings")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline store")
    parser.add_argument(
        "--reply-model", default=None, help="model spec that writes the probe turns' replies only"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="probes per client the reply model answers"
    )
    parser.add_argument("--json", type=Path, default=None, help="write figures and rows here")
    add_record_options(parser)
    args = parser.parse_args(argv)

    probes = load(args.data)
    clients = args.clients or list(probes.clients)
    embedder = CachingEmbedder(MiniLMEmbedder(), max_items=50_000)
    reply_model = None
    if args.reply_model is not None:
        reply_model = make_chat_model(args.reply_model, temperature=0.3, seed=0, timeout=600.0)
    measured = args.reply_model or args.model
    stores = [("validity", True)] + ([] if args.no_baseline else [("baseline", False)])
    header = (
        f"{'gap':>4} {'decay':>8} {'store':>9} {'probes':>6} {'hit@k':>6} {'recall':>6} "
        f"{'changed':>7} "
        f"{'stale':>6} {'erased':>6} {'stored':>6} {'uses':>5} {'s':>5}"
    )
    print(
        f"memory probes: {len(probes.facts)} facts, clients {clients}, k={args.k}, "
        f"model {args.model}, replies to probes {measured}"
        + ("" if args.limit is None else f" (limit {args.limit} per client)")
    )
    print(header)
    cells = []
    for gap in args.gaps:
        for decay in args.decay:
            for name, validity in stores:
                started = time.perf_counter()
                results, leftovers = run_cell(
                    probes,
                    gap_days=gap,
                    decay=decay,
                    validity=validity,
                    model=args.model,
                    embedder=embedder,
                    clients=clients,
                    k=args.k,
                    reply_model=reply_model,
                    limit=args.limit,
                )
                seconds = time.perf_counter() - started
                fig = summarise(results, leftovers)
                uses = f"{fig['reply_uses_fact']:5.2f}" if measured != "fake" else "    -"
                print(
                    f"{gap:4d} {decay:>8} {name:>9} {fig['probes']:6d} {fig['hit_at_k']:6.3f} "
                    f"{fig['hit_at_k_recallable']:6.3f} "
                    f"{fig['hit_at_k_changed']:7.3f} {fig['superseded_as_current']:6.3f} "
                    f"{fig['erased_recalled']:6d} {fig['erased_stored']:6d} {uses} {seconds:5.0f}",
                    flush=True,
                )
                cells.append(
                    {
                        "gap_days": gap,
                        "decay": decay,
                        "store": name,
                        "seconds": round(seconds, 1),
                        **fig,
                        "rows": [asdict(r) for r in results],
                    }
                )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {"model": args.model, "reply_model": measured, "k": args.k, "cells": cells},
                indent=1,
            )
        )
    if args.record is not None:
        _record(args.record, args.machine, cells, k=args.k, uses=measured != "fake")
    return 0


def _record(path: Path, machine: str, cells: list[dict], *, k: int, uses: bool) -> None:
    """Write the grid as the BENCHMARKS.md record at ``path``."""
    columns = ("gap (days)", "decay", "store", f"hit@{k}", "recallable", "changed", "stale")
    columns += ("erased", "stored") + (("reply uses fact",) if uses else ())
    rows = tuple(
        (
            str(c["gap_days"]),
            c["decay"],
            c["store"],
            f"{c['hit_at_k']:.3f}",
            f"{c['hit_at_k_recallable']:.3f}",
            f"{c['hit_at_k_changed']:.3f}",
            f"{c['superseded_as_current']:.3f}",
            str(c["erased_recalled"]),
            str(c["erased_stored"]),
        )
        + ((f"{c['reply_uses_fact']:.2f}",) if uses else ())
        for c in cells
    )
    seconds = sum(c["seconds"] for c in cells)
    write_record(
        path,
        order=201,
        area="Memory",
        title="Memory probes: does the therapist recall the fact a reply needs, sessions later?",
        machine=machine,
        notes=(
            "Scripted clients (`benchmarks/data/memory_probe_v1.yaml`, frozen by sha256) talk to "
            "the real agent (real Chroma and MiniLM) for six sessions each, spaced by the gap; "
            f"probes are messages whose good reply needs a fact. k = {k}. **hit@k**: a recalled "
            "memory holds the fact's evidence words (all probes); **recallable**: the same over "
            "the probes the recall node is meant to answer (not crisis-path turns, not facts told "
            "in the probe's own session); **changed**: hit@k on probes of changed facts (the "
            "newest value); **stale**: share of those where a recalled memory holds an older "
            "value but not the newest; **erased**: erased-fact probes whose recall held the "
            "erased words; **stored**: memories still holding erased words at the end; "
            "**baseline**: the same agent and store with fact keys and forget requests ignored, "
            f"in the same run. {seconds:.0f} s of cells in all.",
        ),
        tables=(Table(columns=columns, rows=rows),),
    )


if __name__ == "__main__":
    raise SystemExit(main())
