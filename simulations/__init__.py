"""Simulations: simulated clients, a resumable multi-session runner, judges and reports.

The lab where the therapist is tried across many sessions before a person ever is. The names
below are what a user needs: profiles, the runner, run data, judges and the report entry points;
everything else is imported from its submodule (``theraloop.simulations.report`` for the tables
and plots the notebooks draw, ``theraloop.simulations.trace`` for trace records). Names load
lazily (PEP 562) so ``theraloop --help`` stays fast; pandas, matplotlib and the agent load only
when a report or a run needs them.

Example:
    >>> from theraloop.simulations import StatefulClient, builtin_profiles
    >>> client = StatefulClient(builtin_profiles()[0], seed=0)
    >>> client.start_session(1, turns=3).phq9_total >= 0
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    # profiles and clients
    "ClientProfile",
    "builtin_profiles",
    "load_profile",
    "resolve_profiles",
    "StatefulClient",
    "make_client",
    # running
    "RunConfig",
    "RunResult",
    "Therapist",
    "default_agent_factory",
    "run_simulation",
    "run_ablations",
    "RayOptions",
    # run data, judges and reports
    "Run",
    "load_run",
    "find_runs",
    "open_client_memory",
    "sample_run",
    "make_judge",
    "judge_run",
    "write_report",
    "write_comparison",
    "erase_client_from_run",
]

_MODULE_OF: dict[str, str] = {
    name: module
    for module, names in {
        "profiles": ("ClientProfile", "builtin_profiles", "load_profile"),
        "profile_specs": ("resolve_profiles",),
        "client": ("StatefulClient", "make_client"),
        "config": ("RunConfig",),
        "job": ("Therapist",),
        "factories": ("default_agent_factory",),
        "runner": ("RunResult", "run_simulation", "run_ablations"),
        "_ray": ("RayOptions",),
        "rundata": ("Run", "load_run", "find_runs", "open_client_memory"),
        "sample": ("sample_run",),
        "judge": ("make_judge", "judge_run"),
        "report": ("write_report", "write_comparison"),
        "erase": ("erase_client_from_run",),
    }.items()
    for name in names
}
"""The submodule that defines each name of ``__all__``, for the lazy import."""


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from theraloop.simulations._ray import RayOptions
    from theraloop.simulations.client import StatefulClient, make_client
    from theraloop.simulations.config import RunConfig
    from theraloop.simulations.erase import erase_client_from_run
    from theraloop.simulations.factories import default_agent_factory
    from theraloop.simulations.job import Therapist
    from theraloop.simulations.judge import judge_run, make_judge
    from theraloop.simulations.profile_specs import resolve_profiles
    from theraloop.simulations.profiles import ClientProfile, builtin_profiles, load_profile
    from theraloop.simulations.report import write_comparison, write_report
    from theraloop.simulations.rundata import Run, find_runs, load_run, open_client_memory
    from theraloop.simulations.runner import RunResult, run_ablations, run_simulation
    from theraloop.simulations.sample import sample_run
