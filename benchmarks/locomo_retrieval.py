"""LoCoMo evidence retrieval: recall@k of theraloop's memory against dense-only and BM25-only.

Usage::

    .venv/bin/python benchmarks/locomo_retrieval.py ../shared/data/locomo/locomo_dev.json \\
        [--record benchmarks/results/locomo.json]

Per conversation, every turn is stored as one memory (``"Speaker: text"``, plus the caption of a
shared photo), created at its session's real date; ``now`` is the last session's date, so old
sessions have faded (decay on). Each QA question is a search; a hit is an evidence ``dia_id`` in
the top k. Recall@k is averaged over questions, per category and overall. Three systems run on
the same turns and questions in one process:

* dense: all-MiniLM-L6-v2 cosine similarity over the turns;
* bm25: rank-bm25 ``BM25Okapi`` with its defaults over lower-cased word tokens;
* theraloop: ``MemoryStore.search`` (dense + BM25 with stop words, stemming and the previous
  turn as context + Ebbinghaus retention), on a real in-memory Chroma.

Two ablations run too: theraloop with the retention weight at 0 (what decay costs or gains), and
theraloop without the previous turn as ``context`` (what the agent loses if it does not pass it:
``store.add(..., context=<the utterance this one answers>)``). The data
stay where they are (research licence): pass their path, never copy them into the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _record import Table, add_record_options, write_record  # noqa: E402

from theraloop.memory import (  # noqa: E402
    CachingEmbedder,
    ManualClock,
    MemoryStore,
    MiniLMEmbedder,
    RankingPolicy,
    open_chroma_client,
)

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
_EVIDENCE = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)")
_WORD = re.compile(r"\w+")


@dataclass
class Turn:
    dia_id: str
    session: int
    date: datetime
    speaker: str
    text: str
    context: str | None


@dataclass
class Question:
    text: str
    category: int
    evidence: list[str]


@dataclass
class Conversation:
    sample_id: str
    turns: list[Turn]
    questions: list[Question]
    now: datetime
    skipped_questions: int = 0
    dropped_evidence: int = 0


@dataclass
class Scores:
    hits: dict[tuple[str, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    def add(self, category: str, k: int, value: float) -> None:
        self.hits[(category, k)].append(value)
        self.hits[("overall", k)].append(value)

    def mean(self, category: str, k: int) -> float:
        values = self.hits.get((category, k), [])
        return float(np.mean(values)) if values else float("nan")


def parse_date(value: str) -> datetime:
    """Parse LoCoMo's session stamp, e.g. ``"1:56 pm on 8 May, 2023"`` (taken as UTC)."""
    cleaned = re.sub(r"\s+", " ", value.strip())
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%I:%M %p on %B %d, %Y"):
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unrecognised LoCoMo date {value!r}")


def normalise_evidence(raw: Sequence[str]) -> list[str]:
    """Return clean ``D<session>:<turn>`` ids ("D8:6; D9:17" -> two ids, "D:11:26" -> D11:26)."""
    out: list[str] = []
    for entry in raw:
        for session, turn in _EVIDENCE.findall(str(entry)):
            dia = f"D{int(session)}:{int(turn)}"
            if dia not in out:
                out.append(dia)
    return out


def turn_text(turn: dict) -> str:
    """Render a turn as one memory: speaker, words, and the caption of a shared photo."""
    text = f"{turn['speaker']}: {turn['text']}"
    caption = turn.get("blip_caption")
    if caption:
        text += f" [shares a photo: {caption}]"
    return text


def load(path: Path, limit: int | None) -> list[Conversation]:
    raw = json.loads(path.read_text())
    conversations = []
    for sample in raw[:limit]:
        conv = sample["conversation"]
        turns: list[Turn] = []
        n = 1
        while f"session_{n}_date_time" in conv:
            session = conv.get(f"session_{n}") or []
            date = parse_date(conv[f"session_{n}_date_time"])
            previous: str | None = None
            for t in session:
                text = turn_text(t)
                turns.append(Turn(t["dia_id"], n, date, t["speaker"], text, previous))
                previous = text
            n += 1
        ids = {t.dia_id for t in turns}
        c = Conversation(sample["sample_id"], turns, [], now=max(t.date for t in turns))
        for qa in sample["qa"]:
            evidence = normalise_evidence(qa.get("evidence") or [])
            known = [e for e in evidence if e in ids]
            c.dropped_evidence += len(evidence) - len(known)
            if not known:
                c.skipped_questions += 1
                continue
            c.questions.append(Question(str(qa["question"]), int(qa["category"]), known))
        conversations.append(c)
    return conversations


def recall(ranked: Sequence[str], evidence: Sequence[str], k: int) -> float:
    top = set(ranked[:k])
    return sum(e in top for e in evidence) / len(evidence)


def run(conversations: list[Conversation], ks: Sequence[int], embedder: CachingEmbedder) -> dict:
    from rank_bm25 import BM25Okapi

    systems = {
        "dense": Scores(),
        "bm25": Scores(),
        "theraloop": Scores(),
        "theraloop (no decay)": Scores(),
        "theraloop (no context)": Scores(),
    }
    kmax = max(ks)
    client = open_chroma_client()
    for conv in conversations:
        ids = [t.dia_id for t in conv.turns]
        texts = [t.text for t in conv.turns]
        questions = [q.text for q in conv.questions]
        matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        qmatrix = np.asarray(embedder.embed_documents(questions), dtype=np.float32)

        start = time.perf_counter()
        dense_rank = np.argsort(-(qmatrix @ matrix.T), axis=1, kind="stable")[:, :kmax]
        systems["dense"].seconds += time.perf_counter() - start

        start = time.perf_counter()
        bm25 = BM25Okapi([_WORD.findall(t.lower()) for t in texts])
        bm25_rank = [
            np.argsort(-bm25.get_scores(_WORD.findall(q.lower())), kind="stable")[:kmax]
            for q in questions
        ]
        systems["bm25"].seconds += time.perf_counter() - start

        cid = re.sub(r"[^A-Za-z0-9_.-]", "-", conv.sample_id)
        clock = ManualClock(conv.now)
        stores = {
            "theraloop": MemoryStore(
                client=client, embedder=embedder, clock=clock, namespace="locomo"
            ),
            "theraloop (no decay)": MemoryStore(
                client=client,
                embedder=embedder,
                clock=clock,
                namespace="locomo",
                ranking=RankingPolicy(retention_weight=0.0),
            ),
        }
        store = stores["theraloop"]
        ranked: dict[str, list[list[str]]] = {}
        for with_context in (True, False):
            store.erase_client(cid)
            store.add_many(
                cid,
                [
                    {
                        "text": t.text,
                        "context": t.context if with_context else None,
                        "created_at": t.date,
                        "speaker": t.speaker,
                        "session_id": f"session_{t.session}",
                        "item_id": t.dia_id,
                    }
                    for t in conv.turns
                ],
            )
            runs = stores if with_context else {"theraloop (no context)": store}
            for name, s in runs.items():
                start = time.perf_counter()
                ranked[name] = [
                    [h.item.id for h in s.search(cid, q, k=kmax, now=conv.now, record=False)]
                    for q in questions
                ]
                systems[name].seconds += time.perf_counter() - start
        store.erase_client(cid)

        for i, q in enumerate(conv.questions):
            cat = CATEGORIES.get(q.category, str(q.category))
            for k in ks:
                systems["dense"].add(cat, k, recall([ids[j] for j in dense_rank[i]], q.evidence, k))
                systems["bm25"].add(cat, k, recall([ids[j] for j in bm25_rank[i]], q.evidence, k))
                for name in ranked:
                    systems[name].add(cat, k, recall(ranked[name][i], q.evidence, k))
    return systems


def recall_table(systems: dict, k: int, counts: dict[str, int]) -> Table:
    """Return recall@k: one row per system, one column per category (n questions in brackets)."""
    cats = [c for c in CATEGORIES.values() if counts.get(c)] + ["overall"]
    return Table(
        columns=(f"R@{k}", *(f"{c} ({counts[c]})" for c in cats)),
        rows=tuple((name, *(f"{s.mean(c, k):.3f}" for c in cats)) for name, s in systems.items()),
        caption=f"Recall of the evidence turns at {k}:",
    )


def table(systems: dict, k: int, counts: dict[str, int]) -> str:
    """Render :func:`recall_table` as aligned text."""
    recall_k = recall_table(systems, k, counts)
    header = list(recall_k.columns)
    rows = [header] + [list(row) for row in recall_k.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="locomo_dev.json (../shared/data/locomo/)")
    parser.add_argument("--limit", type=int, default=None, help="first N conversations only")
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10], help="cut-offs (5 10)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    add_record_options(parser)
    args = parser.parse_args(argv)

    conversations = load(args.path, args.limit)
    n_q = sum(len(c.questions) for c in conversations)
    print(
        f"LoCoMo: {len(conversations)} conversations, {sum(len(c.turns) for c in conversations)} "
        f"turns, {n_q} questions ({sum(c.skipped_questions for c in conversations)} skipped: no "
        f"usable evidence id; {sum(c.dropped_evidence for c in conversations)} evidence ids "
        "not in the conversation dropped)"
    )
    start = time.perf_counter()
    embedder = CachingEmbedder(MiniLMEmbedder())
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    systems = run(conversations, args.k, embedder)
    run_s = time.perf_counter() - start
    counts: dict[str, int] = defaultdict(int)
    for c in conversations:
        for q in c.questions:
            counts[CATEGORIES.get(q.category, str(q.category))] += 1
    counts["overall"] = n_q
    for k in args.k:
        print()
        print(table(systems, k, counts))
    print()
    print(
        f"model load {load_s:.1f}s, whole run {run_s:.1f}s (each text embedded once, shared by "
        "all systems); ranking time: "
        + ", ".join(f"{name} {s.seconds:.1f}s" for name, s in systems.items())
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    name: {f"{cat}@{k}": s.mean(cat, k) for cat in counts for k in args.k}
                    for name, s in systems.items()
                },
                indent=2,
            )
        )
    if args.record is not None:
        write_record(
            args.record,
            order=202,
            area="Memory",
            title="LoCoMo retrieval",
            machine=args.machine,
            notes=(
                f"{len(conversations)} conversations, "
                f"{sum(len(c.turns) for c in conversations)} turns, {n_q} questions: recall of "
                "the evidence turns, decay on; every system in the same run "
                f"({run_s:.0f} s). Targets: R@10 >= 0.85, multi-hop >= 0.55, temporal >= 0.85.",
            ),
            tables=[recall_table(systems, k, counts) for k in args.k],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
