"""A learned reader of psychotic content, mania and OCD over frozen MiniLM sentence vectors.

The cues in ``data/conditions.yaml`` catch the wordings someone wrote down; a client who says
"the landlord's smoke alarm has a lens in it" or "I'm buying a vineyard tomorrow, I haven't slept
since Sunday" uses none of them. This head (a softmax regression over the all-MiniLM-L6-v2
vector the detector already computes) reads each sentence, and the short message whole, and
names a condition only when its probability reaches a threshold chosen on out-of-fold
predictions so that few ordinary messages reach it: a condition changes the reply's guidance,
and telling a stalking victim that their belief "may not match reality" does harm too.

The weights are trained by ``python -m theraloop.agent.safety.training.conditions`` from
``data/condition_examples.yaml`` (sentences written for theraloop) and shipped as
``data/condition_reader.npz``, whose digest is checked on load. :func:`add_learned` merges a
reading into the rule-based :class:`~theraloop.agent.safety.models.ConditionReading` with the
same window and stickiness as the rules.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cachetools import LRUCache

from theraloop.agent.safety.conditions import IMMINENCE_CUES, warning_signs
from theraloop.agent.safety.models import (
    CONDITION_KINDS,
    ConditionCue,
    ConditionKind,
    ConditionReading,
    MeansContext,
)
from theraloop.agent.safety.reader import reading_windows
from theraloop.memory.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np

    from theraloop.agent.safety.conditions import ConditionRules
    from theraloop.memory.embeddings import Embedder

__all__ = [
    "CONDITION_CLASSES",
    "ConditionHead",
    "ConditionReader",
    "LearnedConditions",
    "add_learned",
    "condition_head_digest",
]

LearnedKind = ConditionKind | Literal["means_question"]
"""What the head reads: a condition, or a question about a means of suicide."""

CONDITION_CLASSES: tuple[str, ...] = ("none", *CONDITION_KINDS, "means_question")
"""The head's classes: nothing, each condition kind, and a means question."""

SHIPPED_SHA256 = "6db40e72fb2d4ea31b0c4479178716517ac926ff218b317e522f5f41bad5eb11"
"""Digest of ``data/condition_reader.npz`` (:func:`condition_head_digest`)."""

Strength = Literal["held", "suspected"]
"""``held`` at the strict threshold (acted on), ``suspected`` at the lenient one (guards only)."""

LearnedConditions = tuple[tuple[LearnedKind, Strength, str, int, int], ...]
"""For one message: ``(kind, strength, window text, start, end)`` for each kind read."""


@dataclass(frozen=True)
class ConditionHead:
    """Softmax-regression weights over normalised sentence vectors, with two thresholds a class.

    ``thresholds`` has shape ``(2, classes)``: row 0 holds a reading (few ordinary sentences
    reach it), row 1 only suspects one (more do; a suspicion arms the reply guards, whose cost
    on an ordinary reply is a redraft).
    """

    weights: np.ndarray
    bias: np.ndarray
    classes: tuple[str, ...]
    embedder: str
    thresholds: np.ndarray

    def save(self, path: Path) -> None:
        """Write the head as an uncompressed ``.npz`` (no pickled objects)."""
        import numpy as np

        np.savez(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
            embedder=np.array(self.embedder),
            thresholds=self.thresholds.astype(np.float64),
        )

    @classmethod
    def load(cls, source: Path | None = None) -> ConditionHead:
        """Read a head; ``None`` reads the shipped one and checks its digest.

        Raises:
            InvalidInputError: the shipped head's digest differs from :data:`SHIPPED_SHA256`.
        """
        import numpy as np

        if source is not None:
            return cls._read(np.load(source, allow_pickle=False))
        ref = resources.files("theraloop.agent.safety").joinpath("data/condition_reader.npz")
        with resources.as_file(ref) as path:
            head = cls._read(np.load(path, allow_pickle=False))
        digest = condition_head_digest(head)
        if digest != SHIPPED_SHA256:
            raise InvalidInputError(
                f"agent/safety/data/condition_reader.npz has sha256 {digest}, expected "
                f"{SHIPPED_SHA256}; reinstall theraloop or retrain with "
                "`python -m theraloop.agent.safety.training.conditions`"
            )
        return head

    @classmethod
    def _read(cls, data: np.lib.npyio.NpzFile) -> ConditionHead:
        return cls(
            weights=data["weights"],
            bias=data["bias"],
            classes=tuple(str(c) for c in data["classes"]),
            embedder=str(data["embedder"]),
            thresholds=data["thresholds"],
        )


def condition_head_digest(head: ConditionHead) -> str:
    """Return the sha256 of a head's weights, classes, embedder name and thresholds."""
    import numpy as np

    digest = hashlib.sha256()
    for array in (head.weights, head.bias):
        digest.update(np.ascontiguousarray(array, dtype="<f4").tobytes())
    digest.update("|".join(head.classes).encode())
    digest.update(head.embedder.encode())
    digest.update("|".join(f"{t:.9f}" for t in head.thresholds.ravel().tolist()).encode())
    return digest.hexdigest()


class ConditionReader:
    """Read psychosis, mania and OCD from client messages with the shipped head.

    Args:
        embedder: the embedder the head was trained on (``theraloop.memory.MiniLMEmbedder``).
        head: weights to use; ``None`` loads the shipped, digest-checked head on first use.
        cache_size: messages whose reading is kept (a conversation is re-read every turn).

    Raises:
        InvalidInputError: on first use, when the embedder is not the one the head expects.
    """

    def __init__(
        self, embedder: Embedder, head: ConditionHead | None = None, cache_size: int = 4096
    ) -> None:
        self.embedder = embedder
        self._head = head
        self._lock = threading.Lock()
        self._cache: LRUCache[str, LearnedConditions] = LRUCache(maxsize=max(cache_size, 1))

    def _loaded(self) -> ConditionHead:
        with self._lock:
            if self._head is None:
                self._head = ConditionHead.load()
            head = self._head
        if head.classes != CONDITION_CLASSES:
            raise InvalidInputError(
                f"condition head has classes {head.classes!r}, expected {CONDITION_CLASSES!r}"
            )
        if self.embedder.name != head.embedder:
            raise InvalidInputError(
                f"the condition head was trained on {head.embedder!r} vectors, got embedder "
                f"{self.embedder.name!r}"
            )
        return head

    def warm_up(self) -> None:
        """Load and check the head now instead of on the first message."""
        self._loaded()

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return the class probabilities of each text, shape ``(len(texts), classes)``."""
        import numpy as np

        head = self._loaded()
        if not texts:
            return np.zeros((0, len(head.classes)), dtype=np.float32)
        x = np.asarray(self.embedder.embed_documents(list(texts)), dtype=np.float32)
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        logits = x @ head.weights + head.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def read(self, texts: Sequence[str]) -> list[LearnedConditions]:
        """Return, for each message, the kinds some window of it reads, with their strength."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            head = self._loaded()
            pieces = [(t, s, e) for t in todo for s, e in reading_windows(t)]
            probs = self.probabilities([t[s:e] for t, s, e in pieces])
            best: dict[tuple[str, LearnedKind], tuple[float, int, int]] = {}
            kinds: tuple[LearnedKind, ...] = (*CONDITION_KINDS, "means_question")
            for (t, s, e), row in zip(pieces, probs, strict=True):
                for k, kind in enumerate(kinds, start=1):
                    if row[k] >= head.thresholds[1, k] and row[k] > best.get((t, kind), (0.0,))[0]:
                        best[t, kind] = (float(row[k]), s, e)
            for t in todo:
                self._cache[t] = tuple(
                    (kind, "held" if p >= head.thresholds[0, k] else "suspected", t[s:e], s, e)
                    for k, kind in enumerate(kinds, start=1)
                    if (hit := best.get((t, kind))) is not None
                    for p, s, e in (hit,)
                )
        return [self._cache[t] for t in texts]


_QUESTION_LIKE = re.compile(
    r"\?|(?:^|[.!;]\s+)(?:\w+\s+){0,3}?(?:how|what|which|where|when|would|could|does|do|is|are|can)\b"
    r"|\bhow\s+(?:long|many|much|far|high|deep|fast|cold)\b|\b(?:need|want)\s+(?:the|to\s+know)\b",
    re.IGNORECASE,
)
"""A question however worded: a question mark, a question word opening a sentence, or "how long"."""


def _states_ideation_only(text: str, signs: Sequence[ConditionCue]) -> bool:
    """Say whether ``text`` states ideation and asks nothing, given the conversation's ``signs``.

    The head reads topics, and reads "it'd be easier to just not exist" as a question about a
    means; a message that asks nothing is the ideation it states, answered as such.
    """
    stated = any(c.group == "ideation" and c.turn is None for c in signs)
    return stated and _QUESTION_LIKE.search(text) is None


_MEANING_ASKED = re.compile(
    r"\bwhat\s+(?:do\s+you\s+think\s+|did\s+you\s+think\s+)?(?:he|she|they|it|you|this|that|i|we)\s+"
    r"(?:means?|meant)\b|\bwhat\s+(?:does|did|do)\s+(?:it|that|this|he|she|they)\s+mean\b",
    re.IGNORECASE,
)
"""Asking what someone means: "means" as a verb, which the head's vectors take for a method."""


def add_learned(
    reading: ConditionReading,
    text: str,
    context: Sequence[str],
    learned: Sequence[LearnedConditions],
    rules: ConditionRules,
    *,
    disclosure: bool = False,
    earlier_risk: MeansContext | None = None,
) -> ConditionReading:
    """Return ``reading`` with what the head read, windowed as the rules are.

    ``learned`` holds the head's readings of ``context`` and then of ``text``. A condition held
    in the current message holds; one held only in the ``window`` earlier messages holds when the
    rules mark it ``sticky`` (a delusion does not end because the client changed the subject),
    and is suspected otherwise (mania or OCD held a message ago still arms the guards when the
    next message only asks for the letter or the checklist); a condition only suspected goes to
    ``suspected``, which arms the reply guards and nothing else. A means question in the current
    message becomes a ``means_inquiry`` cue when the conversation holds the rules' warning
    signs, or follows ``earlier_risk`` (the warning sign that the detector's self-directed risk
    in the earlier messages, worded in ways no cue names, stands for: ``ideation`` for active
    ideation or more, ``distress`` for a borderline reading); a suspected question counts as
    following distress at most, so it asks for a direct question about suicide but never
    starts the protocol alone. A message that states ideation and asks nothing is read as the
    ideation, not as a means question.

    With ``disclosure`` (the turn discloses abuse, harm or self-directed risk at ``moderate`` or
    above), a means inquiry or another imminence cue than a time word, the head's conditions in
    this message are only suspected, and those carried from earlier messages are dropped: the
    head reads topics, and an abuse disclosure ("he comes into my room at night") or a question
    about a gun after a loss must never be answered as a belief that may not match reality.
    """
    *earlier, current = learned
    update: dict[str, object] = {}
    imminence = reading.imminence
    cues = list(reading.cues)
    question = next(
        (h for h in current if h[0] == "means_question" and not _MEANING_ASKED.search(h[2])),
        None,
    )
    if question is not None and "means_inquiry" not in reading.imminence:
        signs, sign_cues = warning_signs(text, context, rules)
        if signs is None:
            signs = earlier_risk
        if signs is not None and not _states_ideation_only(text, sign_cues):
            _, strength, said, start, end = question
            cue = ConditionCue(
                condition="imminence", group="learned", text=said, start=start, end=end
            )
            cues += [cue, *sign_cues]
            seen = {*imminence, "means_inquiry"}
            imminence = tuple(c for c in IMMINENCE_CUES if c in seen)
            update["imminence"] = imminence
            update["means_context"] = "distress" if strength == "suspected" else signs
    # risk is read first: a means question after warning signs, or a cue of means at hand, an
    # act under way, preparation or farewell, leaves the head's conditions to suspicions (a time
    # word such as "tonight" alone does not: manic plans name times too)
    disclosure = disclosure or bool(set(imminence) - {"timing_now"})
    suspected = list(reading.suspected)
    carried_kinds = list(reading.carried)
    kinds = list(reading.conditions)
    for cond in rules.conditions:
        start = max(0, len(earlier) - cond.window)
        window = [(None, current), *((i, earlier[i]) for i in range(start, len(earlier)))]
        for turn, readings in window:
            hit = next((h for h in readings if h[0] == cond.kind), None)
            if hit is None:
                continue
            _, strength, said, start, end = hit
            # held in this message, or earlier for a sticky condition; a condition that is not
            # sticky (mania, OCD) held a message or two ago is still suspected: the plan or the
            # ritual goes on when the next message only asks for the letter or the checklist
            carried = turn is not None and not cond.sticky
            if strength == "suspected" or disclosure or carried:
                was_held = carried and strength == "held" and not disclosure
                if (turn is None or was_held) and (
                    cond.kind not in kinds and cond.kind not in suspected
                ):
                    suspected.append(cond.kind)
                if was_held and cond.kind not in carried_kinds:
                    carried_kinds.append(cond.kind)
                continue
            cue = ConditionCue(
                condition=cond.kind, group="learned", text=said, start=start, end=end, turn=turn
            )
            cues.append(cue)
            if cond.kind not in kinds:
                kinds.append(cond.kind)
            break
    order = [c.kind for c in rules.conditions]
    update["conditions"] = tuple(sorted(kinds, key=order.index))
    update["suspected"] = tuple(sorted((k for k in suspected if k not in kinds), key=order.index))
    update["carried"] = tuple(k for k in update["suspected"] if k in carried_kinds)
    update["cues"] = tuple(cues)
    return reading.model_copy(update=update)
