"""The examples in the memory package's docstrings run (STYLE: examples run in CI)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "memory",
    "memory.store",
    "memory.decay",
    "memory.models",
    "memory.ranking",
    "memory.embeddings",
    "memory._chroma",
    "memory._lexical",
    "memory.clock",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
