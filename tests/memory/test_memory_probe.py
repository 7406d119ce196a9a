"""The memory probe benchmark at small scale: one scripted client through the real agent.

The full grid (three clients, four gaps, decay on and off, with a baseline store) is
``benchmarks/memory_probe.py``; here one client runs once, with the fake chat model, real
Chroma and real MiniLM, so CI checks what the benchmark measures in seconds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from theraloop.memory import CachingEmbedder, Embedder

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "memory_probe.py"


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("memory_probe", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["memory_probe"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def maya(probe: ModuleType, minilm: Embedder) -> tuple[list, int]:  # noqa: ANN001
    """Maya's six sessions a month apart, decay on, the agent as shipped."""
    return probe.run_cell(
        probe.load(probe.DATA),
        gap_days=30,
        decay="on",
        validity=True,
        model="fake",
        embedder=CachingEmbedder(minilm),
        clients=["probe-maya"],
        k=5,
    )


def test_the_benchmark_refuses_a_changed_probe_set(probe: ModuleType, tmp_path: Path) -> None:
    changed = tmp_path / "probes.yaml"
    changed.write_bytes(probe.DATA.read_bytes() + b"\n# one more line\n")
    with pytest.raises(SystemExit, match="not the frozen"):
        probe.load(changed)


def test_the_probe_set_holds_at_least_sixty_facts(probe: ModuleType) -> None:
    assert len(probe.load(probe.DATA).facts) >= 60


def test_what_a_client_asked_to_forget_never_comes_back(maya: tuple[list, int]) -> None:
    results, stored = maya
    erased = [r for r in results if r.kind == "erased"]
    assert len(erased) == 2 and not any(r.erased_recalled for r in erased) and stored == 0


def test_a_changed_fact_is_never_recalled_in_its_old_version(maya: tuple[list, int]) -> None:
    results, _ = maya
    changed = [r for r in results if r.kind == "changed"]
    assert len(changed) == 5 and not any(r.superseded_as_current for r in changed)


def test_the_newest_version_of_a_changed_fact_is_recalled(maya: tuple[list, int]) -> None:
    """Where recall runs at all: a crisis-path turn answers with the protocol, recalling nothing."""
    results, _ = maya
    missed = [r.fact for r in results if r.kind == "changed" and not r.crisis and not r.hit]
    assert missed == []


def test_a_monthly_client_keeps_what_the_probes_need(maya: tuple[list, int]) -> None:
    """With sessions pacing decay, a month between sessions forgets no more than a week does."""
    results, _ = maya
    recallable = [r for r in results if r.kind != "erased" and not r.crisis and not r.same_session]
    assert sum(r.hit for r in recallable) / len(recallable) >= 0.85
