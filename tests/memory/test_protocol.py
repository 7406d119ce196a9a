"""The long-term memory interface: every backend implements LongTermMemory as declared."""

from __future__ import annotations

import inspect

import pytest

from theraloop.memory import LongTermMemory, MemoryStore

_METHODS = sorted(
    name
    for name, value in vars(LongTermMemory).items()
    if callable(value) and not name.startswith("_")
)


def test_the_protocol_names_the_calls_the_agent_makes():
    assert {
        "search",
        "add",
        "add_many",
        "reinforce",
        "forget",
        "archive_forgotten",
        "has_client",
        "export_client",
        "erase_client",
    } <= set(_METHODS)


def test_every_backend_is_a_long_term_memory(store):
    assert isinstance(store, LongTermMemory)


@pytest.mark.parametrize("name", _METHODS)
def test_the_store_signature_matches_the_protocol(name):
    declared = inspect.signature(getattr(LongTermMemory, name))
    implemented = inspect.signature(getattr(MemoryStore, name))
    assert list(implemented.parameters.values()) == list(declared.parameters.values())
    assert implemented.return_annotation == declared.return_annotation


def test_an_object_missing_a_call_is_not_a_long_term_memory():
    class Partial:
        def search(self, client_id: str, query: str) -> list[object]:
            return []

    assert not isinstance(Partial(), LongTermMemory)
