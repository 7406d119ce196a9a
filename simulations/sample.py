"""A small seeded sample run with the offline fake models, for notebooks and first steps.

A newcomer opening a notebook has no run directory yet; :func:`sample_run` makes one in about a
minute on two cores without a model download: the scripted therapist, the template client
voice and (in reports) the heuristic judge, with the real agent, memory and MiniLM embedder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from theraloop.memory.errors import InvalidInputError, TheraloopError
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.runner import (
    ABLATIONS,
    Ablation,
    RunConfig,
    RunResult,
    default_agent_factory,
    run_ablations,
    run_simulation,
)

__all__ = ["SAMPLE_PROFILES", "SampleRunError", "sample_run"]

SAMPLE_PROFILES: tuple[str, ...] = ("depression-maya", "risk-alex")
"""A depressed client who answers to CBT and one whose risk escalates (the crisis protocol)."""


class SampleRunError(TheraloopError, RuntimeError):
    """A client of the sample run failed; the message names it and the error."""


def sample_run(
    out: str | Path,
    *,
    profiles: Sequence[str] = SAMPLE_PROFILES,
    sessions: int = 3,
    turns: int = 3,
    days_between: float = 7.0,
    seed: int = 0,
    ablations: Sequence[Ablation] = ("none",),
    embedder: Any | None = None,
) -> Path:
    """Simulate a small seeded run with the fake therapist, client and judge; return ``out``.

    With the defaults it is ``theraloop simulate --profiles depression-maya risk-alex
    --sessions 3 --turns 3 --days-between 7 --therapist-model fake --client-model fake
    --judge-model fake --out OUT``. Re-running it on the same ``out`` resumes (finds it done).

    Args:
        out: Where to write. Created if missing.
        profiles: Profile ids, globs or files, as ``--profiles`` takes them.
        sessions: Sessions per client.
        turns: Client turns per session.
        days_between: Simulated days between sessions (memory decays meanwhile).
        seed: The run seed; the same seed gives the same traces.
        ablations: One variant: ``out`` is the run directory. Several: one run per variant in
            ``out/<label>`` (``full``, ``no-memory``, ...), the layout of ``--ablation all``
            that ``find_runs`` and ``ablation_table`` read. All variants share one embedder.
        embedder: The sentence embedder of every agent; default MiniLM, loaded once.

    Raises:
        InvalidInputError: an unknown profile or ablation, or no ablation.
        SampleRunError: a client's simulation failed.
    """
    variants = list(dict.fromkeys(ablations))
    unknown = [a for a in variants if a not in ABLATIONS]
    if not variants or unknown:
        raise InvalidInputError(
            f"ablations must be one or more of {list(ABLATIONS)!r}, got {list(ablations)!r}"
        )
    out = Path(out)
    config = RunConfig(
        profiles=tuple(profiles),
        sessions=sessions,
        turns=turns,
        days_between=days_between,
        therapist_model="fake",
        client_model="fake",
        judge_model="fake",
        seed=seed,
        ablation=variants[0],
    )
    chosen = resolve_profiles(list(profiles))
    factory = default_agent_factory(embedder)
    if len(variants) == 1:
        results = {
            variants[0]: run_simulation(config, out, chosen, agent_factory=factory, progress=False)
        }
    else:
        results = run_ablations(
            config, out, chosen, ablations=variants, agent_factory=factory, progress=False
        )
    _raise_failures(results)
    return out


def _raise_failures(results: dict[str, RunResult]) -> None:
    failures = [
        f"{label}/{o.client_id}: {o.error}"
        for label, result in results.items()
        for o in result.outcomes
        if o.error
    ]
    if failures:
        raise SampleRunError("the sample run failed: " + "; ".join(failures))
