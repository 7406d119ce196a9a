"""The examples in the memory package's docstrings run (STYLE: examples run in CI)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "theraloop.memory",
    "theraloop.memory.protocol",
    "theraloop.memory.store",
    "theraloop.memory.decay",
    "theraloop.memory.models",
    "theraloop.memory.ranking",
    "theraloop.memory.embeddings",
    "theraloop.memory._chroma",
    "theraloop.memory._lexical",
    "theraloop.memory.clock",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
