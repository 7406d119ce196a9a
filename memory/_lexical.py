"""Lexical matching: a tokenizer and an incremental BM25 index per client.

Scoring is rank-bm25's ``BM25Okapi`` (k1 = 1.5, b = 0.75, the same term-frequency saturation
and length normalisation; a test checks the scores are equal) with two changes:

* IDF is the non-negative Lucene form ``log(1 + (N - n + 0.5) / (n + 0.5))``. rank-bm25's
  ``log((N - n + 0.5) / (n + 0.5))`` is zero or negative for a word in half or more of the
  documents, which in a new client's handful of memories means every word: lexical matching
  would vanish exactly when a client has few memories. (On LoCoMo the two rank alike.)
* rank-bm25 rebuilds its statistics from the whole corpus and scans every document once per
  query term. Here the index keeps append-only postings (document, term frequency) and computes
  IDF and length normalisation at query time, for the query's terms only. Adding a memory costs
  its own tokens, not a rebuild of the client's index, and a query touches only the documents
  that contain its words. Each snapshot of a client's memories sees a prefix of the postings
  (its first ``size`` documents), so appending never disturbs a search running on an older one.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["tokenize", "LexicalIndex"]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

# English function words: they match everywhere and drown the content words of a question.
STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with about against between into
    through during before after above below from up down out off over under again further once
    here there when where why how all any both each few more most other some such no nor not only
    own same so than too very s t can will just don should now i me my myself we our ours
    ourselves you your yours yourself yourselves he him his himself she her hers herself it its
    itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing would could ought i'm you're
    he's she's it's we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll
    you'll he'll she'll we'll they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't
    don't didn't won't wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's who's
    what's here's there's when's where's why's how's as until while""".split()
)

_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    """Strip a possessive and one common inflection ("runs", "painted" -> "run", "paint")."""
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Return the content-word stems of ``text``, lower-cased, in order.

    Example:
        >>> tokenize("Caroline's painting of the sunrise")
        ['caroline', 'paint', 'sunrise']
    """
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


K1 = 1.5
B = 0.75


class _Postings:
    """Append-only storage shared by the :class:`LexicalIndex` views of one client."""

    def __init__(self) -> None:
        self.docs: dict[str, list[int]] = {}
        self.tfs: dict[str, list[int]] = {}
        self.lengths: list[int] = []
        self.cum_len: list[int] = [0]  # cum_len[n] = total tokens of the first n documents
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._len_array = np.zeros(0, dtype=np.float64)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.lengths)

    def append(self, tokens: Sequence[str]) -> None:
        doc = len(self.lengths)
        for term, tf in Counter(tokens).items():
            self.docs.setdefault(term, []).append(doc)
            self.tfs.setdefault(term, []).append(tf)
        self.lengths.append(len(tokens))
        self.cum_len.append(self.cum_len[-1] + len(tokens))

    def term(self, term: str, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Return (documents, term frequencies) of ``term`` among the first ``size`` documents."""
        docs = self.docs.get(term)
        if docs is None:
            return None
        with self._lock:
            cached = self._arrays.get(term)
            if cached is None or len(cached[0]) < len(docs):
                tfs = self.tfs[term]
                n = min(len(docs), len(tfs))  # a concurrent append may be half done
                cached = (np.asarray(docs[:n], np.int64), np.asarray(tfs[:n], np.float64))
                self._arrays[term] = cached
        cut = bisect.bisect_left(cached[0], size)
        return cached[0][:cut], cached[1][:cut]

    def length_array(self, size: int) -> np.ndarray:
        """Return the token counts of the first ``size`` documents as an array."""
        with self._lock:
            if len(self._len_array) < size:
                self._len_array = np.asarray(self.lengths[: self.size], np.float64)
            return self._len_array


class LexicalIndex:
    """BM25 over a list of token lists; :meth:`appended` extends it without a rebuild.

    Example:
        >>> index = LexicalIndex([["sister", "argu"], ["work", "stress"]])
        >>> bool(index.scores(["sister"])[0] > 0)
        True
    """

    def __init__(self, corpus: Sequence[Sequence[str]] = ()) -> None:
        """Index ``corpus`` (one token list per document, in the snapshot's order)."""
        self._postings = _Postings()
        for doc in corpus:
            self._postings.append(doc)
        self.size = len(corpus)

    def appended(self, corpus: Sequence[Sequence[str]]) -> LexicalIndex | None:
        """Return an index of this one's documents plus ``corpus``, leaving this one unchanged.

        Returns ``None`` when this index is not the newest view of its storage (someone already
        extended it); the caller then builds a fresh index from all the documents.
        """
        if self._postings.size != self.size:
            return None
        for doc in corpus:
            self._postings.append(doc)
        view = LexicalIndex.__new__(LexicalIndex)
        view._postings, view.size = self._postings, self.size + len(corpus)
        return view

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """Return the BM25 score of every document for the query (rank-bm25's Okapi formula)."""
        n = self.size
        out = np.zeros(n, dtype=np.float64)
        total = self._postings.cum_len[n] if n else 0
        if total == 0:
            return out
        avgdl = total / n
        lengths: np.ndarray | None = None
        for term in query_tokens:
            found = self._postings.term(term, n)
            if found is None or found[0].size == 0:
                continue
            if lengths is None:
                lengths = self._postings.length_array(n)
            docs, tf = found
            df = docs.size
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            norm = K1 * (1 - B + B * lengths[docs] / avgdl)
            out[docs] += idf * tf * (K1 + 1) / (tf + norm)
        return out
