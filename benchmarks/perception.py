"""Benchmark emotion perception on ESConv seeker turns.

Usage:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/perception.py ../shared/data/esconv/valid.json
    ... --llm local --limit 150        # add the local LLM in JSON mode on the first 150 turns
    ... --record benchmarks/results/esconv_perception.json   # write the BENCHMARKS.md record

Each seeker ("usr") turn is labelled with its dialog's ``emotion_type`` mapped to theraloop's
label set (identity for the eight types in valid.json; nervousness -> anxiety, pain -> sadness,
jealousy -> anger). This label is per dialog, so short turns ("hi", "thanks") carry a label
their text cannot show: every system is capped well below 100%; a second table restricts to
turns of at least ``--min-words`` words.

Systems, all in the same run on the same turns:
  * NRCLex lexicon: NRC emotion word counts (TextBlob's tokenizer needs NLTK corpora that are
    not available offline, so text is tokenised with a regex); fear -> anxiety, sadness,
    anger, disgust map to themselves, joy/trust -> joy, no emotion word -> neutral.
  * zero-shot MiniLM: cosine similarity of the turn to the bare label names.
  * majority class: the most frequent gold label for every turn.
  * prototype perceiver, message only: theraloop's fast path on the turn alone.
  * prototype perceiver: the example-similarity path with the dialog's earlier seeker turns as
    context (a factual turn keeps the earlier emotion).
  * learned heads (the agent's default with MiniLM): logistic-regression emotion and ridge
    intensity heads fitted on ESConv's train split (``train_perception_heads.py``) with the
    dialog's earlier seeker turns as context, with the prototype reading kept for joy and for a
    neutral first message; "heads alone" reads every turn with the heads. Intensity is the mean
    of the ridge head and the lexical estimate.
  * LLM (optional): theraloop's LLMPerceiver on the local GGUF model, same context.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

import numpy as np  # noqa: E402
from _esconv import (  # noqa: E402
    ESCONV_EMOTION_MAP,
    PrecomputedEmbedder,
    accuracy,
    load_dialogs,
    macro_f1,
    per_label_recall,
    print_table,
    spearman,
)
from _record import add_record_options, write_record  # noqa: E402

from theraloop.strategies import EMOTIONS, emotion_family  # noqa: E402

_NRC_TO_EMOTION = {
    "fear": "anxiety",
    "sadness": "sadness",
    "anger": "anger",
    "disgust": "disgust",
    "joy": "joy",
    "trust": "joy",
}
_WORD = re.compile(r"[a-z']+")


class Turn:
    """One seeker turn with its gold label and the dialog's earlier seeker turns."""

    __slots__ = ("text", "gold", "context", "dialog", "words")

    def __init__(self, text: str, gold: str, context: list[str], dialog: int) -> None:
        self.text, self.gold, self.context, self.dialog = text, gold, context, dialog
        self.words = len(text.split())


def seeker_turns(dialogs: list[dict]) -> list[Turn]:
    turns: list[Turn] = []
    for index, dialog in enumerate(dialogs):
        gold = ESCONV_EMOTION_MAP.get(dialog["emotion_type"].strip().lower())
        if gold is None:
            continue
        earlier: list[str] = []
        for utterance in dialog["dialog"]:
            if utterance["speaker"] != "usr" or not utterance["text"].strip():
                continue
            text = utterance["text"].strip()
            turns.append(Turn(text, gold, list(earlier), index))
            earlier.append(text)
    return turns


def nrclex_predict() -> Callable[[Turn], str]:
    from nrclex import NRCLex

    lexicon = NRCLex()

    def predict(turn: Turn) -> str:
        lexicon.load_token_list(_WORD.findall(turn.text.lower()))
        counts: dict[str, float] = {}
        for nrc, count in lexicon.raw_emotion_scores.items():
            label = _NRC_TO_EMOTION.get(nrc)
            if label:
                counts[label] = counts.get(label, 0) + count
        if not counts:
            return "neutral"
        order = {label: i for i, label in enumerate(EMOTIONS)}
        return max(counts, key=lambda k: (counts[k], -order[k]))

    return predict


def zero_shot_predict(embedder) -> Callable[[Sequence[Turn]], list[str]]:
    names = np.asarray(embedder.embed_documents(list(EMOTIONS)), dtype=np.float32)

    def predict(turns: Sequence[Turn]) -> list[str]:
        vectors = np.asarray(embedder.embed_documents([t.text for t in turns]), dtype=np.float32)
        return [EMOTIONS[int(i)] for i in np.argmax(vectors @ names.T, axis=1)]

    return predict


def evaluate(name: str, gold: list[str], pred: list[str], ms: float) -> list:
    family_acc = accuracy([emotion_family(g) for g in gold], [emotion_family(p) for p in pred])
    return [name, len(gold), accuracy(gold, pred), macro_f1(gold, pred), family_acc, f"{ms:.1f}"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="ESConv valid.json (JSON lines)")
    parser.add_argument("--llm", choices=["local", "local-small"], help="also run the LLM")
    parser.add_argument("--limit", type=int, default=120, help="turns for the LLM subset")
    parser.add_argument("--min-words", type=int, default=8, help="word floor of table 2")
    add_record_options(parser)
    args = parser.parse_args(argv)

    from theraloop.agent.perception import LLMPerceiver, PrototypePerceiver
    from theraloop.memory.embeddings import MiniLMEmbedder

    dialogs = load_dialogs(args.path)
    turns = seeker_turns(dialogs)
    gold = [t.gold for t in turns]
    print(f"ESConv: {len(dialogs)} dialogs, {len(turns)} seeker turns; labels {sorted(set(gold))}")

    embedder = PrecomputedEmbedder(MiniLMEmbedder(), [t.text for t in turns])
    predictions: dict[str, list[str]] = {}
    latency: dict[str, float] = {}

    start = time.perf_counter()
    nrc = nrclex_predict()
    predictions["NRCLex lexicon"] = [nrc(t) for t in turns]
    latency["NRCLex lexicon"] = 1000 * (time.perf_counter() - start) / len(turns)

    start = time.perf_counter()
    predictions["zero-shot MiniLM label names"] = zero_shot_predict(embedder)(turns)
    latency["zero-shot MiniLM label names"] = 1000 * (time.perf_counter() - start) / len(turns)

    majority = Counter(gold).most_common(1)[0][0]
    predictions[f"majority class ({majority})"] = [majority] * len(turns)
    latency[f"majority class ({majority})"] = 0.0

    readings = {}
    variants = (
        ("prototype, message only", {"context_weight": 0.0, "carry_over": False}),
        ("prototype + context", {}),
    )
    for name, options in variants:
        perceiver = PrototypePerceiver(embedder, **options)
        start = time.perf_counter()
        readings[name] = [perceiver.perceive(t.text, t.context) for t in turns]
        latency[name] = 1000 * (time.perf_counter() - start) / len(turns)
        predictions[name] = [r.label for r in readings[name]]

    from theraloop.agent.perception_heads import LearnedPerceiver

    for name, keep in (
        ("learned heads alone (ESConv labels only)", False),
        ("learned heads, ESConv train (theraloop default)", True),
    ):
        learned = LearnedPerceiver(embedder, keep_prototype_labels=keep)
        start = time.perf_counter()
        readings[name] = [learned.perceive(t.text, t.context) for t in turns]
        latency[name] = 1000 * (time.perf_counter() - start) / len(turns)
        predictions[name] = [r.label for r in readings[name]]

    header = ["system", "turns", "accuracy", "macro-F1", "family acc", "ms/turn"]
    rows = [evaluate(name, gold, pred, latency[name]) for name, pred in predictions.items()]
    tables = [print_table("All seeker turns (dialog emotion_type as label)", header, rows)]

    keep = [i for i, t in enumerate(turns) if t.words >= args.min_words]
    sub_gold = [gold[i] for i in keep]
    rows = [
        evaluate(name, sub_gold, [pred[i] for i in keep], latency[name])
        for name, pred in predictions.items()
    ]
    tables.append(print_table(f"Seeker turns with >= {args.min_words} words", header, rows))

    default = predictions["learned heads, ESConv train (theraloop default)"]
    recall = per_label_recall(gold, default)
    table = print_table(
        "Per-label recall, learned heads (all turns)",
        ["label", "turns", "recall"],
        [[label, gold.count(label), value] for label, value in recall.items()],
    )
    tables.append(table)

    # Intensity: per dialog, the mean predicted intensity of its first three seeker turns against
    # the seeker's own pre-chat rating (survey initial_emotion_intensity, 1-5).
    rows = []
    for name in (
        "prototype + context",
        "learned heads alone (ESConv labels only)",
        "learned heads, ESConv train (theraloop default)",
    ):
        by_dialog: dict[int, list[int]] = {}
        for turn, reading in zip(turns, readings[name], strict=True):
            by_dialog.setdefault(turn.dialog, []).append(reading.intensity)
        xs, ys = [], []
        for index, values in by_dialog.items():
            rated = dialogs[index].get("survey_score", {}).get("seeker", {})
            if str(rated.get("initial_emotion_intensity", "")).strip().isdigit():
                xs.append(float(np.mean(values[:3])))
                ys.append(float(rated["initial_emotion_intensity"]))
        rows.append([name, len(xs), spearman(xs, ys), float(np.mean(xs)), float(np.mean(ys))])
    table = print_table(
        "Intensity vs seeker's initial_emotion_intensity (per dialog)",
        ["system", "dialogs", "Spearman rho", "mean predicted", "mean rated"],
        rows,
    )
    tables.append(table)

    if args.llm:
        from theraloop.agent.llm import make_chat_model

        model = make_chat_model(args.llm, temperature=0.0, seed=0)
        fast = PrototypePerceiver(embedder)
        llm = LLMPerceiver(model, fallback=fast)
        # An even stride over all turns, so the subset spans many dialogs and labels.
        count = min(args.limit, len(turns))
        subset = sorted({int(i) for i in np.linspace(0, len(turns) - 1, count)})
        start = time.perf_counter()
        llm_readings = [llm.perceive(turns[i].text, turns[i].context) for i in subset]
        llm_ms = 1000 * (time.perf_counter() - start) / max(1, len(subset))
        fallbacks = sum(r.method == "fallback" for r in llm_readings)
        sub_gold = [gold[i] for i in subset]
        rows = [
            evaluate(name, sub_gold, [predictions[name][i] for i in subset], latency[name])
            for name in predictions
        ]
        rows.append(
            evaluate(f"LLM {args.llm} JSON mode", sub_gold, [r.label for r in llm_readings], llm_ms)
        )
        table = print_table(
            f"{len(subset)} seeker turns at an even stride, with the LLM ({fallbacks} fallbacks)",
            header,
            rows,
        )
        tables.append(table)
    if args.record is not None:
        write_record(
            args.record,
            order=303,
            area="Strategy and perception",
            title="Perception on ESConv",
            machine=args.machine,
            notes=(
                f"{len(turns)} seeker turns of ESConv's validation split, each labelled with its "
                "dialog's emotion (so short turns carry a label their text cannot show); every "
                "system in the same run. Targets: accuracy >= 0.40 and macro-F1 >= 0.35. "
                "ms/turn excludes embedding (the turn has already embedded the message).",
            ),
            tables=tables,
        )


if __name__ == "__main__":
    main()
