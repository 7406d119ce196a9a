"""The tokenizer and the BM25 index behind lexical matching."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from theraloop.memory._lexical import LexicalIndex, tokenize


def test_tokenize_drops_function_words_and_inflections():
    assert tokenize("Caroline's paintings of the sunrise were painted") == [
        "caroline",
        "painting",
        "sunrise",
        "paint",
    ]


def test_tokenize_keeps_numbers_and_non_ascii_words():
    assert tokenize("Trip to Zürich in 2023") == ["trip", "zürich", "2023"]


class _LuceneIdf(BM25Okapi):
    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


def test_index_scores_equal_rank_bm25_okapi_with_non_negative_idf():
    corpus = [
        tokenize(t)
        for t in (
            "I went hiking with my sister last weekend",
            "My sister and I argued about money",
            "Work was stressful, my manager shouted",
            "We went to the lake and went swimming",
        )
    ]
    query = tokenize("hiking sister weekend went")
    expected = _LuceneIdf(corpus).get_scores(query)
    assert np.allclose(LexicalIndex(corpus).scores(query), expected)


def test_a_word_in_half_of_a_tiny_corpus_still_scores():
    index = LexicalIndex([["sister"], ["work"]])
    scores = index.scores(["sister"])
    assert scores[0] > 0 and scores[1] == 0


@pytest.mark.parametrize("corpus", [[], [[]], [[], []]])
def test_empty_corpora_score_zero(corpus):
    assert LexicalIndex(corpus).scores(["anything"]).tolist() == [0.0] * len(corpus)


def test_unknown_query_terms_score_zero():
    assert LexicalIndex([["a1"], ["b2"]]).scores(["zzz"]).tolist() == [0.0, 0.0]


CORPUS = [
    tokenize(t)
    for t in (
        "I went hiking with my sister last weekend",
        "My sister and I argued about money",
        "Work was stressful, my manager shouted",
    )
]
MORE = [tokenize(t) for t in ("Hiking again with my manager", "Money money money")]
QUERY = tokenize("sister hiking money manager")


def test_an_appended_index_scores_like_a_fresh_one():
    grown = LexicalIndex(CORPUS).appended(MORE)
    assert grown is not None
    assert np.allclose(grown.scores(QUERY), LexicalIndex(CORPUS + MORE).scores(QUERY))


def test_appending_leaves_the_older_view_unchanged():
    base = LexicalIndex(CORPUS)
    before = base.scores(QUERY)
    base.appended(MORE)
    assert np.allclose(base.scores(QUERY), before)
    assert base.appended(MORE) is None  # only the newest view may grow; callers rebuild
