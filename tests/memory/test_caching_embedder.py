from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from theraloop.memory import CachingEmbedder, HashingEmbedder


class Counting:
    def __init__(self) -> None:
        self.inner = HashingEmbedder(dim=16)
        self.name, self.dimensions = self.inner.name, self.inner.dimensions
        self.documents: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts):  # noqa: ANN001
        self.documents.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):  # noqa: ANN001
        self.queries.append(text)
        return self.inner.embed_query(text)


def test_cached_vectors_equal_the_inner_embedders_and_are_computed_once():
    inner = Counting()
    cache = CachingEmbedder(inner)
    first = cache.embed_documents(["a", "b", "a"])
    again = cache.embed_documents(["b", "c"])
    assert first == inner.inner.embed_documents(["a", "b", "a"])
    assert again == inner.inner.embed_documents(["b", "c"])
    assert inner.documents == ["a", "b", "c"]
    assert cache.embed_query("q") == cache.embed_query("q") == inner.inner.embed_query("q")
    assert inner.queries == ["q"]
    assert (cache.name, cache.dimensions) == (inner.name, inner.dimensions)


def test_cache_is_bounded_and_thread_safe():
    cache = CachingEmbedder(Counting(), max_items=50)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: cache.embed_documents([f"t{i % 80}"])[0], range(400)))
    assert len(results) == 400 and len(cache._docs) <= 50
