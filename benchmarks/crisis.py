"""Crisis-risk detection on the C-SSRS Reddit data (Gaur et al., WWW 2019), development half.

    python benchmarks/crisis.py ../shared/data/cssrs/cssrs_dev.csv [--limit N] [--llm local]
        [--sample N --max-posts 25 --seed 1]

Each user's posts (the ``Post`` column, a Python-list string) are assessed in order as one
conversation: every post is assessed with the posts before it as context
(``RiskAssessor.assess_conversation``), and a user counts as *flagged at level L* when any of their
posts reaches L. Detection means level >= ``low`` (guards on, any C-SSRS ideation); the crisis
protocol fires at >= ``moderate``; both are reported.

Targets: recall on Ideation+Behavior+Attempt >= 0.95 at the detection threshold, false-alarm rate
on Supportive <= 0.15. The keyword baseline flags a user when any post contains a common suicide
keyword. The data is read at run time and never copied (CC BY 4.0, research use).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import NormalDist

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theraloop.agent.safety import LearnedRiskReader, RiskAssessor, level_rank  # noqa: E402
from theraloop.agent.safety.reader_lora import TunedRiskReader  # noqa: E402

LABELS = ("Supportive", "Indicator", "Ideation", "Behavior", "Attempt")
AT_RISK = ("Ideation", "Behavior", "Attempt")
TARGET_RECALL = 0.95
TARGET_FALSE_ALARM = 0.15
_BOOTSTRAP = 1000
BROAD_RISK = re.compile(
    r"\b(?:suicid\w*|die|dying|dead|death|kill\w*|end\s+(?:it|my\s+life|things)|"
    r"not\s+(?:be\s+)?(?:here|alive)|overdos\w*|cut(?:ting)?\s+myself|self[- ]?harm\w*|hang\w*|"
    r"jump\w*|pills?|no\s+reason\s+to\s+live|want\s+out|give\s+up|rope|gun|bridge)\b",
    re.IGNORECASE,
)
FIRST_PERSON = re.compile(r"\b(?:i|me|my|myself|im|i'm|ive|i've|id|i'd)\b", re.IGNORECASE)
KEYWORDS = re.compile(
    r"\b(?:suicid\w*|kill(?:ing)?\s+myself|end(?:ing)?\s+my\s+life|want(?:ed)?\s+to\s+die|"
    r"take\s+my\s+(?:own\s+)?life|overdos\w*|self[- ]?harm\w*|cut(?:ting)?\s+myself|"
    r"hang(?:ing)?\s+myself|better\s+off\s+dead)\b",
    re.IGNORECASE,
)


def parse_posts(cell: str) -> list[str]:
    """Return the posts of one cell; cells cut at the spreadsheet limit lose their last post."""
    try:
        return [str(p) for p in ast.literal_eval(cell)]
    except (SyntaxError, ValueError):
        pass
    for tail in ("']", '"]'):
        try:
            return [str(p) for p in ast.literal_eval(cell + tail)]
        except (SyntaxError, ValueError):
            continue
    for sep in ("', '", "', \"", "\", '", '", "'):
        cut = cell.rfind(sep)
        if cut > 0:
            try:
                return [str(p) for p in ast.literal_eval(cell[: cut + 1] + "]")]
            except (SyntaxError, ValueError):
                continue
    return [cell]


def load(path: Path) -> list[tuple[str, str, list[str]]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        rows = list(csv.DictReader(f))
    return [(r["User"], r["Label"], parse_posts(r["Post"])) for r in rows]


def table(title: str, flags: dict[str, dict[str, list[bool]]], order: list[str]) -> str:
    lines = [
        f"\n{title}",
        "| method | "
        + " | ".join(f"{lab} (n)" for lab in LABELS)
        + " | recall I+B+A | false alarm Supportive |",
        "|---" * (len(LABELS) + 3) + "|",
    ]
    for name in order:
        by = flags[name]
        cells = []
        for lab in LABELS:
            v = by.get(lab, [])
            cells.append(f"{sum(v) / len(v):.2f} ({len(v)})" if v else "-")
        pos = [x for lab in AT_RISK for x in by.get(lab, [])]
        neg = by.get("Supportive", [])
        rec = sum(pos) / len(pos) if pos else float("nan")
        fa = sum(neg) / len(neg) if neg else float("nan")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rec:.3f} | {fa:.3f} |")
    return "\n".join(lines)


def evidence_ceiling(posts: list[str]) -> str:
    """Say what a text-only detector can see in a user's posts, from a deliberately broad net.

    ``"first-person"``: some sentence has a risk word and the speaker in it; ``"other"``: risk
    words only in sentences without the speaker; ``"none"``: no risk word at all.
    """
    from theraloop.agent.safety.patterns import split_sentences

    seen = "none"
    for post in posts:
        for start, end in split_sentences(post):
            sentence = post[start:end]
            if BROAD_RISK.search(sentence):
                if FIRST_PERSON.search(sentence):
                    return "first-person"
                seen = "other"
    return seen


def target_auc(recall: float = TARGET_RECALL, false_alarm: float = TARGET_FALSE_ALARM) -> float:
    """ROC AUC that an equal-variance binormal score needs to pass through (false_alarm, recall).

    A yardstick for how far a measured AUC is from the targets: d' = z(recall) - z(false_alarm).
    """
    normal = NormalDist()
    d_prime = normal.inv_cdf(recall) - normal.inv_cdf(false_alarm)
    return normal.cdf(d_prime / math.sqrt(2))


def separability(per_user: list[dict], seed: int = 0) -> str:
    """Per-user ranking quality of (top level, then classifier risk).

    ROC AUC between I+B+A and Supportive users with a bootstrap 95% interval (users resampled),
    the best recall with false alarms <= the target and the fewest false alarms with recall >= the
    target, over every threshold of that score, beside the AUC the targets need.
    """
    import numpy as np

    def score(u: dict) -> float:
        return 10 * u["max_level"] + u["max_classifier_risk"]

    def auc(pos: np.ndarray, neg: np.ndarray) -> float:
        return float(
            (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
        )

    pos = np.array([score(u) for u in per_user if u["label"] in AT_RISK])
    neg = np.array([score(u) for u in per_user if u["label"] == "Supportive"])
    if not len(pos) or not len(neg):
        return "separability: needs both Supportive and I+B+A users"
    rng = np.random.default_rng(seed)
    boot = sorted(
        auc(rng.choice(pos, len(pos)), rng.choice(neg, len(neg))) for _ in range(_BOOTSTRAP)
    )
    low, high = boot[int(0.025 * _BOOTSTRAP)], boot[int(0.975 * _BOOTSTRAP) - 1]
    points = [((pos >= t).mean(), (neg >= t).mean()) for t in np.unique(np.concatenate([pos, neg]))]
    best_recall = max((r for r, fa in points if fa <= TARGET_FALSE_ALARM), default=0.0)
    least_fa = min((fa for r, fa in points if r >= TARGET_RECALL), default=1.0)
    return (
        f"Per-user score (10 x top level + classifier risk): ROC AUC {auc(pos, neg):.3f} "
        f"(95% bootstrap {low:.3f}-{high:.3f}); the targets need about {target_auc():.3f} "
        f"(equal-variance binormal); best recall with false alarms <= {TARGET_FALSE_ALARM}: "
        f"{best_recall:.3f}; fewest false alarms with recall >= {TARGET_RECALL}: {least_fa:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("path", type=Path, help="cssrs_dev.csv")
    ap.add_argument("--limit", type=int, default=None, help="only the first N users")
    ap.add_argument("--llm", default=None, help="model spec for the second opinion, e.g. local")
    ap.add_argument(
        "--band",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="classifier borderline band (default: RiskAssessor's)",
    )
    ap.add_argument("--json", type=Path, default=None, help="write per-user results here")
    ap.add_argument(
        "--reader",
        choices=("default", "lora", "mlp"),
        default="default",
        help="classifier layer: the default, the fine-tuned MiniLM (lora) or the MLP head (mlp)",
    )
    ap.add_argument(
        "--sample",
        type=int,
        default=None,
        metavar="N",
        help="a seeded sample of N Supportive and N Ideation/Behavior/Attempt users (for --llm)",
    )
    ap.add_argument(
        "--max-posts", type=int, default=None, help="with --sample: users with <= M posts"
    )
    ap.add_argument("--seed", type=int, default=1, help="with --sample")
    args = ap.parse_args(argv)
    if not args.path.is_file():
        print(
            f"no such file: {args.path}; pass ../shared/data/cssrs/cssrs_dev.csv", file=sys.stderr
        )
        return 2
    users = load(args.path)
    if args.limit:
        users = users[: args.limit]
    if args.sample:
        rng = random.Random(args.seed)
        fits = [u for u in users if args.max_posts is None or len(u[2]) <= args.max_posts]
        users = rng.sample([u for u in fits if u[1] == "Supportive"], args.sample) + rng.sample(
            [u for u in fits if u[1] in AT_RISK], args.sample
        )

    from theraloop.memory import MiniLMEmbedder

    t0 = time.perf_counter()
    embedder = MiniLMEmbedder()
    chat = None
    if args.llm:
        from theraloop.agent.llm import make_chat_model

        chat = make_chat_model(args.llm, temperature=0.0, max_tokens=128)
    kwargs = {"llm_band": tuple(args.band)} if args.band else {}
    readers = {"lora": TunedRiskReader, "mlp": lambda: LearnedRiskReader(embedder)}
    classifier = readers[args.reader]() if args.reader in readers else None
    assessor = RiskAssessor(
        embedder, chat_model=chat, cache_size=100_000, classifier=classifier, **kwargs
    )
    print(f"classifier layer: {type(assessor.classifier).__name__}")
    assessor.warm_up()
    t_load = time.perf_counter() - t0
    lo, hi = assessor.llm_band

    flags: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    ceiling: dict[str, Counter[str]] = defaultdict(Counter)
    per_user = []
    n_posts = 0
    t1 = time.perf_counter()
    for i, (user, label, posts) in enumerate(users):
        n_posts += len(posts)
        flags["keyword baseline"][label].append(any(KEYWORDS.search(p) for p in posts))
        ceiling[label][evidence_ceiling(posts)] += 1
        full = assessor.assess_conversation(posts, use_llm=chat is not None)
        top = max((level_rank(a.level) for a in full), default=0)
        flags[">= low (detection)"][label].append(top >= level_rank("low"))
        flags[">= moderate (protocol)"][label].append(top >= level_rank("moderate"))
        per_user.append(
            {
                "user": user,
                "label": label,
                "posts": len(posts),
                "max_level": top,
                "max_classifier_risk": max((a.classifier_risk or 0.0) for a in full),
                "llm_calls": sum(1 for a in full if "llm" in a.layers),
            }
        )
        if (i + 1) % 25 == 0:
            print(f"  {i + 1}/{len(users)} users, {time.perf_counter() - t1:.0f}s", flush=True)
    t_full = time.perf_counter() - t1

    # Threshold sweep from the cached analyses (no re-embedding): the borderline band decides how
    # much the classifier alone may flag; [low, high) -> low, >= high -> the classifier's level.
    sweep = []
    chat_model, assessor.chat_model = assessor.chat_model, None
    for band in ((0.5, 0.9), (0.6, 0.9), (0.7, 0.9), (0.8, 0.95), (0.9, 0.95), (0.95, 0.99)):
        assessor.llm_band = band
        tops = defaultdict(list)
        for _user, label, posts in users:
            tops[label].append(
                max(level_rank(a.level) for a in assessor.assess_conversation(posts))
            )
        row = [f"[{band[0]}, {band[1]})"]
        for thr in (1, 2):
            pos = [t >= thr for lab in AT_RISK for t in tops[lab]]
            neg = [t >= thr for t in tops["Supportive"]]
            row += [f"{sum(pos) / len(pos):.3f}", f"{sum(neg) / len(neg):.3f}"]
        sweep.append(row)
    assessor.chat_model = chat_model

    def replay(name: str) -> None:
        """Flag every user again from the cached analyses, as the assessor is set now."""
        for _user, label, posts in users:
            top = max(level_rank(a.level) for a in assessor.assess_conversation(posts))
            flags[f"{name}, >= low"][label].append(top >= level_rank("low"))
            flags[f"{name}, >= moderate"][label].append(top >= level_rank("moderate"))

    assessor.llm_band, assessor.chat_model = (lo, hi), None
    if chat_model is not None:  # the same users without the second opinion
        replay("no LLM")
    # Option: classifier risk in talk about others left out.
    assessor.ignore_talk_about_others = True
    replay("talk about others left out")
    assessor.ignore_talk_about_others = False
    # Ablation: the patterns (+context) alone.
    assessor.llm_band, assessor.category_threshold = (1.01, 1.01), 1.0
    replay("patterns only")

    print(
        f"C-SSRS dev: {len(users)} users, {n_posts} posts; MiniLM+head load/train {t_load:.1f}s, "
        f"assessment {t_full:.1f}s ({1000 * t_full / max(n_posts, 1):.1f} ms/post); "
        f"classifier band [{lo}, {hi}); LLM: {args.llm or 'off'}"
        + (f" ({sum(u['llm_calls'] for u in per_user)} calls)" if args.llm else "")
    )
    print(
        "A user is flagged at a level when any of their posts, assessed with the earlier posts "
        "as context, reaches it. Detection = >= low."
    )
    print(
        table(
            "Share of users flagged, per label",
            flags,
            [
                "keyword baseline",
                "patterns only, >= low",
                "patterns only, >= moderate",
                *(["no LLM, >= low", "no LLM, >= moderate"] if args.llm else []),
                ">= low (detection)",
                ">= moderate (protocol)",
                "talk about others left out, >= low",
                "talk about others left out, >= moderate",
            ],
        )
    )
    print("\nClassifier band sweep (no LLM): recall on I+B+A and false alarms on Supportive")
    print("| band | recall >= low | FA >= low | recall >= moderate | FA >= moderate |")
    print("|---|---|---|---|---|")
    for row in sweep:
        print("| " + " | ".join(row) + " |")
    print("\n" + separability(per_user))
    print(
        "\nEvidence ceiling (a broad risk-word net, not the detector): users whose posts have a "
        "risk word in a sentence with the speaker in it / only without the speaker / none"
    )
    print("| label | n | first-person | other | none |")
    print("|---|---|---|---|---|")
    for lab in LABELS:
        c = ceiling.get(lab)
        if c:
            n = sum(c.values())
            print(f"| {lab} | {n} | {c['first-person']} | {c['other']} | {c['none']} |")
    print(
        f"\nTargets: recall I+B+A >= {TARGET_RECALL} and false alarm on Supportive <= "
        f"{TARGET_FALSE_ALARM} (at detection)."
    )
    if args.json:
        args.json.write_text(json.dumps(per_user, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
