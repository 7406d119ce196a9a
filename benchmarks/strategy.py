"""Benchmark the strategy policy and strategy realization on ESConv.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/strategy.py ../shared/data/esconv/valid.json
    ... --realization --llm local --limit 40     # generate replies and check their strategy
    ... --record benchmarks/results/esconv_next_strategy.json   # policy mode: write the record

Policy mode: for every supporter turn, predict its ESConv strategy from the dialog so far.
Systems: the learned predictor alone (``theraloop.strategies.next_strategy``, fitted on train.json
by ``train_next_strategy.py``: previous strategies, turn index, the client's request and last
message, MiniLM vectors of the client's messages and the supporter's last reply); theraloop's
policy with that learned prior and the clinical rules on top (reaction, request, modality,
homework); and the hand-set policy without a learned prior. Perception is mapped as the agent
computes it: emotion and intensity (PrototypePerceiver) from the last seeker turn with the
earlier ones as context, the reaction (read_reaction) against the preceding turns; the stage
follows the position in the dialog (thirds: exploration, insight, action); the modality is
person_centred; recent strategies are the supporter's previous annotated strategies. A catalog
strategy is mapped to its ``esconv_label``. Baselines in the same run: majority class and random
(uniform, and by label frequency), fitted on train.json beside the given file when present.

Realization mode: for the first N dialogs, take the dialog up to its third seeker turn and a
target strategy (cycling through the chosen targets), give the local model each reply prompt of
``--prompts`` in turn (``plain``: a short system prompt with ``strategy_guidance``; ``inline``:
the agent's turn prompt with the examples quoted in the guidance; ``pairs``: the agent's turn
prompt with the catalog's exemplars as earlier message pairs, the agent's default), and
classify every generated reply twice: with theraloop's
StrategyClassifier (MiniLM similarity to the catalog's example replies plus surface cues; its
agreement with ESConv's annotations is printed as its yardstick) and with the reply-strategy
instrument of ``reply_strategy.py`` (fitted on train.json beside the given file; 0.562 on
valid's supporter replies).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

from _esconv import (  # noqa: E402
    PrecomputedEmbedder,
    accuracy,
    load_dialogs,
    macro_f1,
    normalise_strategy,
    print_table,
    utterance_vectors,
)
from _next_strategy_data import NextStrategyExample, next_strategy_examples  # noqa: E402
from _record import Table, add_record_options, write_record  # noqa: E402
from _reply_classifier import (  # noqa: E402
    ReplyInContext,
    ReplyStrategyInstrument,
    replies_in_context,
)

from theraloop.strategies import (  # noqa: E402
    CATALOG,
    ESCONV_LABELS,
    PolicyInput,
    Reaction,
    StrategyClassifier,
    TreatmentStage,
    choose_strategy,
    detect_request,
    strategy_guidance,
)
from theraloop.strategies.next_strategy import NextStrategyModel, load_next_strategy_model  # noqa: E402

_STAGES = ("exploration", "insight", "action")

_LABEL_TO_ID = {s.esconv_label: s.id for s in CATALOG.values() if s.family == "esconv"}

_PUBLISHED = (
    ("MISC (Tu et al., 2022)", "0.313"),
    ("TransESC (Zhao et al., 2023)", "about 0.35"),
    ("MultiESC (Cheng et al., 2022)", "about 0.42"),
)
"""Next-strategy accuracy as reported in the papers, on their own ESConv splits (not rerun)."""


def stage_at(position: int, length: int) -> TreatmentStage:
    """Return the stage of a dialog position: first third exploration, then insight, action."""
    return _STAGES[min(2, 3 * position // max(1, length))]


@dataclass(frozen=True)
class Perceived:
    """What the agent perceives before a supporter turn."""

    emotion: str
    intensity: int
    reaction: Reaction


def perceive_all(
    examples: list[NextStrategyExample], perceiver: Any, embedder: Any
) -> list[Perceived]:
    """Perceive emotion, intensity and reaction from the last seeker turn, as the agent does."""
    from theraloop.agent.perception import read_reaction

    readings = []
    for example in examples:
        if not example.seeker:
            readings.append(Perceived("neutral", 2, "engaged"))
            continue
        last = example.seeker[-1]
        reading = perceiver.perceive(last, list(example.seeker[:-1]))
        reaction = read_reaction(last, list(example.history[-5:-1]), embedder=embedder).label
        readings.append(Perceived(reading.label, reading.intensity, reaction))
    return readings


def policy_predictions(
    examples: list[NextStrategyExample],
    perceived: list[Perceived] | None,
    model: NextStrategyModel | None,
) -> list[str]:
    """Run the policy on every example; ``model`` adds the learned prior, None the hand rules."""
    neutral = Perceived("neutral", 2, "engaged")
    predictions = []
    for index, example in enumerate(examples):
        seen = perceived[index] if perceived is not None else neutral
        client = example.seeker[-1] if example.seeker else ""
        choice = choose_strategy(
            PolicyInput(
                emotion=seen.emotion,
                intensity=seen.intensity,
                reaction=seen.reaction,
                stage=stage_at(example.position, example.length),
                modality="person_centred",
                recent_strategies=[_LABEL_TO_ID[p] for p in example.features.previous_labels[-3:]],
                turn_index=len(example.features.previous_labels),
                request=detect_request(client) if client and model is not None else "none",
                learned=model.probabilities(example.features) if model is not None else None,
            )
        )
        predictions.append(CATALOG[choice.strategy].esconv_label or "Others")
    return predictions


def confusion_rows(gold: Sequence[str], pred: Sequence[str]) -> list[list[Any]]:
    """Rows of a confusion matrix over ESConv labels: gold label, then counts per prediction."""
    counts = Counter(zip(gold, pred, strict=True))
    return [[g, *(counts[(g, p)] for p in ESCONV_LABELS)] for g in ESCONV_LABELS]


SHORT = ("Que", "Res", "Ref", "Self", "Aff", "Sug", "Inf", "Oth")


def run_policy(args: argparse.Namespace, dialogs: list[dict[str, Any]]) -> list[Table]:
    from theraloop.agent.perception import PrototypePerceiver
    from theraloop.memory import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    vectors = utterance_vectors(embedder, args.path)
    examples = next_strategy_examples(args.path, vectors)
    gold = [e.gold for e in examples]
    train_path = Path(args.path).with_name("train.json")
    prior_source = (
        [
            normalise_strategy(t.get("strategy", "Others"))
            for d in load_dialogs(train_path)
            for t in d["dialog"]
            if t["speaker"] == "sys"
        ]
        if train_path.exists()
        else gold
    )
    prior = Counter(prior_source)
    majority = prior.most_common(1)[0][0]
    print(
        f"ESConv: {len(dialogs)} dialogs, {len(examples)} supporter turns; "
        f"baselines fitted on {'train.json' if train_path.exists() else 'the evaluated file'}"
    )

    rng = random.Random(args.seed)
    systems: dict[str, list[str]] = {
        f"majority class ({majority})": [majority] * len(gold),
        "random uniform": [rng.choice(ESCONV_LABELS) for _ in gold],
        "random by label frequency": rng.choices(
            list(prior), weights=list(prior.values()), k=len(gold)
        ),
    }
    batched = PrecomputedEmbedder(embedder, list(vectors))
    perceiver = PrototypePerceiver(batched)
    model = load_next_strategy_model()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    perceived = perceive_all(examples, perceiver, batched)
    perceive_ms = 1000 * (time.perf_counter() - start) / len(gold)
    start = time.perf_counter()
    probabilities = [model.probabilities(e.features) for e in examples]
    timings["learned predictor alone (ESConv train)"] = (
        1000 * (time.perf_counter() - start) / len(gold)
    )
    systems["learned predictor alone (ESConv train)"] = [
        max(p, key=lambda label: p[label]) for p in probabilities
    ]
    for name, seen, learned in (
        ("hand-set policy, no perception (neutral, engaged)", None, None),
        ("hand-set policy + perception", perceived, None),
        ("learned prior + clinical rules + perception (theraloop)", perceived, model),
    ):
        start = time.perf_counter()
        systems[name] = policy_predictions(examples, seen, learned)
        timings[name] = 1000 * (time.perf_counter() - start) / len(gold)
        if seen is not None:
            timings[name] += perceive_ms
    rows = [
        [
            name,
            len(gold),
            accuracy(gold, pred),
            macro_f1(gold, pred, ESCONV_LABELS),
            f"{timings.get(name, 0.0):.1f}",
        ]
        for name, pred in systems.items()
    ]
    tables = [
        print_table(
            "Next supporter strategy (ESConv labels)",
            ["system", "turns", "accuracy", "macro-F1", "ms/turn"],
            rows,
        ),
        print_table(
            "Published next-strategy predictors (as reported in the papers, their own splits)",
            ["system", "accuracy"],
            [list(row) for row in _PUBLISHED],
        ),
    ]
    theraloop = systems["learned prior + clinical rules + perception (theraloop)"]
    gold_counts, pred_counts = Counter(gold), Counter(theraloop)
    per_label = []
    for label in ESCONV_LABELS:
        tp = sum(1 for g, p in zip(gold, theraloop, strict=True) if g == p == label)
        per_label.append(
            [
                label,
                gold_counts[label],
                pred_counts[label],
                tp / gold_counts[label] if gold_counts[label] else 0.0,
            ]
        )
    tables.append(
        print_table(
            "Per label, learned prior + clinical rules + perception",
            ["label", "gold", "predicted", "recall"],
            per_label,
        )
    )
    tables.append(
        print_table(
            "Confusion, learned prior + clinical rules (rows gold, columns predicted)",
            ["gold", *SHORT],
            confusion_rows(gold, theraloop),
        )
    )
    return tables


_REPLY_SYSTEM = (
    "You are a warm, supportive counsellor chatting with a client by text. "
    "Reply to the client's last message in one to three short sentences, in plain words.\n\n"
)


def realization_prompt(
    dialog: dict[str, Any], target: str, turns: int = 6
) -> list[tuple[str, str]]:
    """Build the reply prompt: strategy guidance, then the dialog up to the third seeker turn."""
    history: list[tuple[str, str]] = []
    seen = 0
    for turn in dialog["dialog"]:
        text = turn["text"].strip()
        if not text:
            continue
        role = "human" if turn["speaker"] == "usr" else "ai"
        if history and history[-1][0] == role:
            history[-1] = (role, history[-1][1] + " " + text)
        else:
            history.append((role, text))
        if role == "human":
            seen += 1
            if seen >= 3 and history[-1][0] == "human":
                break
    while history and history[-1][0] != "human":
        history.pop()
    while history and history[0][0] != "human":
        history.pop(0)
    return [("system", _REPLY_SYSTEM + strategy_guidance(target)), *history[-turns:]]


def agent_prompt(prompt: list[tuple[str, str]], target: str, *, pairs: bool) -> list[Any]:
    """Build the agent's own turn prompt for the same dialog: inline examples or exemplar pairs.

    The dialog's earlier exchanges become the session history and its last seeker message the
    client's text; perception is left neutral (the benchmark measures the reply, not the notes).
    """
    from theraloop.agent.prompts import therapist_messages

    turns = [(role, text) for role, text in prompt if role != "system"]
    history = [
        (said, answered)
        for (r1, said), (r2, answered) in zip(turns[:-1:2], turns[1:-1:2], strict=False)
        if r1 == "human" and r2 == "ai"
    ]
    strategy = CATALOG[target]
    return therapist_messages(
        plan=None,
        portrait="No portrait yet.",
        history=history,
        client_text=turns[-1][1],
        strategy_name=strategy.name,
        strategy_guidance=strategy_guidance(target, examples=not pairs),
        memories=[],
        emotion="neutral",
        intensity=3,
        reaction="engaged",
        exemplars=[(e.client, e.reply) for e in strategy.exemplars] if pairs else (),
    )


PROMPTS = ("plain", "inline", "pairs")
"""Reply prompts compared in one run: the benchmark's plain prompt with inline guidance, the
agent's turn prompt with the examples quoted in the guidance, and the agent's turn prompt with
the catalog's exemplars as earlier message pairs (the agent's default)."""


def run_realization(args: argparse.Namespace, dialogs: list[dict[str, Any]]) -> None:
    from theraloop.agent.llm import make_chat_model
    from theraloop.memory import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    texts = [t["text"] for d in dialogs for t in d["dialog"] if t["speaker"] == "sys"]
    batched = PrecomputedEmbedder(embedder, texts)
    classifier = StrategyClassifier(batched)

    # Yardstick: how well the classifier agrees with ESConv's annotators on real replies.
    utterances = [
        (turn["text"], normalise_strategy(turn.get("strategy", "Others")))
        for dialog in dialogs
        for turn in dialog["dialog"]
        if turn["speaker"] == "sys" and turn["text"].strip()
    ]
    predicted = [classifier.classify(text).esconv_label or "Others" for text, _ in utterances]
    gold = [label for _, label in utterances]
    print_table(
        "Strategy classifier vs ESConv annotations (supporter utterances)",
        ["utterances", "accuracy", "macro-F1"],
        [[len(gold), accuracy(gold, predicted), macro_f1(gold, predicted, ESCONV_LABELS)]],
    )

    if args.targets == "esconv":
        targets = [s.id for s in CATALOG.values() if s.family == "esconv"]
    else:
        targets = list(CATALOG)
    train_path = Path(args.path).with_name("train.json")
    train_replies, train_gold = replies_in_context(
        train_path, utterance_vectors(embedder, train_path)
    )
    instrument = ReplyStrategyInstrument(train_replies, train_gold)
    model = make_chat_model(args.llm, temperature=0.0, seed=args.seed, max_tokens=args.max_tokens)
    variants = args.prompts
    records: dict[str, list[tuple[str, str | None, str | None, str]]] = {v: [] for v in variants}
    measured: dict[str, list[str]] = {v: [] for v in variants}
    start = time.perf_counter()
    usable = [d for d in dialogs if sum(t["speaker"] == "usr" for t in d["dialog"]) >= 3]
    for index, dialog in enumerate(usable[: args.limit]):
        target = targets[index % len(targets)]
        prompt = realization_prompt(dialog, target)
        for variant in variants:  # interleaved, so machine load falls on every variant alike
            messages: Any = (
                prompt
                if variant == "plain"
                else agent_prompt(prompt, target, pairs=variant == "pairs")
            )
            reply = str(model.invoke(messages).content).strip() or "(empty)"
            got = classifier.classify(reply)
            records[variant].append((target, got.strategy, got.esconv_label, reply))
            measured[variant].append(
                instrument.predict([reply_in_context(embedder, prompt, reply)])[0]
            )
            if args.show:
                print(f"[{variant}: {target} -> {got.strategy}] {reply}", flush=True)
    calls = sum(len(r) for r in records.values())
    seconds = (time.perf_counter() - start) / max(1, calls)
    tables = [
        _realization_table(args, variant, records[variant], measured[variant], seconds)
        for variant in variants
    ]
    # each prompt's figures are its own table's "all" row: replies, catalog label, instrument
    alls = [table.rows[-1] for table in tables]
    summary = print_table(
        "Strategy realization by reply prompt (instrument: same ESConv label as the target)",
        ["prompt", "replies", "realized (instrument)", "realized (catalog similarity)"],
        [[variant, row[1], row[4], row[3]] for variant, row in zip(variants, alls, strict=True)],
    )
    if args.record is not None:
        write_record(
            args.record,
            order=305,
            area="Strategy and perception",
            title="Realization: does the reply carry the chosen strategy?",
            machine=args.machine,
            notes=(
                f"The first {len(usable[: args.limit])} valid dialogs with three seeker turns, "
                "each up to its third seeker turn, with a target strategy cycling through the "
                "ESConv strategies; the embedded model answers each with every prompt in turn "
                f"({seconds:.1f} s per reply). A reply is realized when the reply-strategy "
                "instrument (fitted on ESConv train) gives it the target's ESConv label.",
            ),
            tables=(summary, *tables),
        )


def _realization_table(
    args: argparse.Namespace,
    variant: str,
    records: list[tuple[str, str | None, str | None, str]],
    measured: list[str],
    seconds: float,
) -> Table:
    rows = []
    by_target: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_target.setdefault(record[0], []).append(index)
    for target, indices in [*by_target.items(), ("all", list(range(len(records))))]:
        rows.append(
            [
                target,
                len(indices),
                sum(records[i][1] == records[i][0] for i in indices) / max(1, len(indices)),
                sum(records[i][2] == CATALOG[records[i][0]].esconv_label for i in indices)
                / max(1, len(indices)),
                sum(measured[i] == CATALOG[records[i][0]].esconv_label for i in indices)
                / max(1, len(indices)),
            ]
        )
    return print_table(
        f"Strategy realization, {args.llm} model, {variant} prompt ({seconds:.1f} s/reply)",
        [
            "target strategy",
            "replies",
            "same strategy (catalog similarity)",
            "same ESConv label (catalog similarity)",
            "same ESConv label (instrument)",
        ],
        rows,
    )


def reply_in_context(embedder: Any, prompt: list[tuple[str, str]], reply: str) -> ReplyInContext:
    """Place a generated reply after the prompt's dialog, as the instrument reads replies."""
    clients = [text for role, text in prompt if role == "human"]
    earlier = [text for role, text in prompt if role == "ai"]
    vectors = np.asarray(embedder.embed_documents([reply, *clients, *earlier[-1:]]))
    return ReplyInContext(
        text=reply,
        vector=vectors[0],
        client_vectors=tuple(vectors[1 : 1 + len(clients)]),
        previous_reply=vectors[-1] if earlier else None,
        turn_index=len(earlier),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="ESConv valid.json (JSON lines)")
    parser.add_argument("--realization", action="store_true", help="measure strategy realization")
    parser.add_argument("--llm", choices=["local", "local-small"], default="local")
    parser.add_argument("--limit", type=int, default=40, help="dialogs for --realization")
    parser.add_argument("--targets", choices=["esconv", "all"], default="esconv")
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", action="store_true", help="print every generated reply")
    parser.add_argument(
        "--prompts",
        nargs="+",
        choices=PROMPTS,
        default=list(PROMPTS),
        help="reply prompts to compare in the same run (realization mode)",
    )
    add_record_options(parser)
    args = parser.parse_args(argv)
    dialogs = load_dialogs(args.path)
    if args.realization:
        run_realization(args, dialogs)
        return
    tables = run_policy(args, dialogs)
    if args.record is not None:
        write_record(
            args.record,
            order=301,
            area="Strategy and perception",
            title="Next supporter strategy on ESConv",
            machine=args.machine,
            notes=(
                "ESConv's train split fits the learned predictor "
                "(`theraloop.strategies.next_strategy`) and the baselines; its validation split "
                "is scored; the test split is not read. The theraloop row is the default policy: "
                "the learned prior with the clinical rules on top (reaction, request, modality, "
                "homework) and perception. Targets: accuracy >= 0.35, macro-F1 >= 0.25.",
            ),
            tables=tables,
        )


if __name__ == "__main__":
    main()
