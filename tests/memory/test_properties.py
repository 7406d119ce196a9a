"""Property test: random sequences of store operations keep the store's invariants.

A plain-Python model tracks what the store must hold; after every step the store must agree with
it, searches must only return unarchived memories of the client in score order, pinned memories
must never be archived, bad input must change nothing, and the trace must only ever grow.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from theraloop.memory import (
    DecayPolicy,
    HashingEmbedder,
    InvalidInputError,
    ManualClock,
    MemoryStore,
    open_chroma_client,
)

WORDS = ["sleep", "sister", "work", "panic", "run", "mother", "money", "dog", "school", "train"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
bad_texts = st.sampled_from(["", "  ", "\x00", "a\ud800", "x" * 40_000])
POLICY = DecayPolicy(k=2.0, archive_threshold=0.05)


class MemoryMachine(RuleBasedStateMachine):
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.store = MemoryStore(
            client=open_chroma_client(),
            embedder=HashingEmbedder(dim=32),
            clock=self.clock,
            policy=POLICY,
            namespace="hyp",
        )
        self.cid = f"p{uuid.uuid4().hex[:12]}"
        # id -> {"strength", "last", "pinned", "archived"}
        self.model: dict[str, dict] = {}
        self.trace_len = 0

    def teardown(self) -> None:
        self.store.erase_client(self.cid)

    def _retention(self, m: dict) -> float:
        if m["pinned"]:
            return 1.0
        dt = (self.clock() - m["last"]).total_seconds() / 86400
        return math.exp(-dt / (POLICY.k * m["strength"]))

    @rule(target=ids, text=texts, pinned=st.booleans(), importance=st.floats(0, 1))
    def add(self, text, pinned, importance):
        item = self.store.add(self.cid, text, pinned=pinned, importance=importance)
        self.model[item.id] = {
            "strength": item.strength,
            "last": self.clock(),
            "pinned": pinned,
            "archived": False,
        }
        return item.id

    @rule(text=bad_texts)
    def add_bad_text(self, text):
        with pytest.raises(InvalidInputError):
            self.store.add(self.cid, text)

    @rule(strength=st.sampled_from([math.nan, math.inf, 0.0, -1.0]))
    def add_bad_strength(self, strength):
        with pytest.raises(InvalidInputError):
            self.store.add(self.cid, "valid", strength=strength)

    @rule(days=st.floats(0, 30))
    def advance(self, days):
        self.clock.advance(timedelta(days=days))

    @rule(item_id=ids)
    def reinforce(self, item_id):
        m = self.model.get(item_id)
        if m is None or m["archived"]:
            with pytest.raises((InvalidInputError, KeyError)):
                self.store.reinforce(self.cid, [item_id])
            return
        (item,) = self.store.reinforce(self.cid, [item_id])
        m["strength"] = min(POLICY.max_strength, m["strength"] + POLICY.recall_increment)
        m["last"] = self.clock()
        assert item.strength == pytest.approx(m["strength"])

    @precondition(lambda self: self.model)
    @rule()
    def archive(self):
        due = {
            i
            for i, m in self.model.items()
            if not m["archived"]
            and not m["pinned"]
            and self._retention(m) < POLICY.archive_threshold
        }
        assert set(self.store.archive_forgotten(self.cid)) == due
        for i in due:
            self.model[i]["archived"] = True

    @rule(item_id=ids)
    def restore(self, item_id):
        m = self.model.get(item_id)
        if m is None:
            return
        restored = self.store.restore(self.cid, [item_id])
        assert [i.id for i in restored] == ([item_id] if m["archived"] else [])
        if m["archived"]:
            m["archived"], m["last"] = False, self.clock()

    @precondition(lambda self: self.model)
    @rule()
    def purge(self):
        doomed = {i for i, m in self.model.items() if m["archived"]}
        assert self.store.purge_archived(self.cid) == len(doomed)
        for i in doomed:
            del self.model[i]

    @precondition(lambda self: self.model)
    @rule(query=texts, k=st.integers(1, 12))
    def search(self, query, k):
        hits = self.store.search(self.cid, query, k=k)
        live = {i for i, m in self.model.items() if not m["archived"]}
        assert len(hits) == min(k, len(live))
        assert all(h.item.id in live and h.item.client_id == self.cid for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        for h in hits:
            assert 0.0 <= h.retention <= 1.0 and 0.0 <= h.lexical <= 1.0
            assert h.retention == pytest.approx(self._retention(self.model[h.item.id]))

    @invariant()
    def store_agrees_with_model(self):
        items = {i.id: i for i in self.store.items(self.cid, include_archived=True)}
        assert set(items) == set(self.model)
        for i, item in items.items():
            m = self.model[i]
            assert item.archived == m["archived"]
            assert item.strength == pytest.approx(m["strength"])
            assert not (item.pinned and item.archived)

    @invariant()
    def trace_only_grows(self):
        if not self.model and not self.store.has_client(self.cid):
            return
        n = len(self.store.trace(self.cid))
        assert n >= self.trace_len
        self.trace_len = n


TestMemoryMachine = MemoryMachine.TestCase
TestMemoryMachine.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
