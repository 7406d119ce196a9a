"""The simulations package's short public surface and its lazy imports."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import get_type_hints

import pytest

import theraloop.simulations as simulations


def test_every_public_name_is_the_object_its_submodule_defines():
    for name in simulations.__all__:
        module = importlib.import_module(f"theraloop.simulations.{simulations._MODULE_OF[name]}")
        assert getattr(simulations, name) is getattr(module, name)
        assert getattr(module, name).__module__ == module.__name__, name


def test_the_lazy_map_covers_exactly_the_public_names():
    assert sorted(simulations._MODULE_OF) == sorted(simulations.__all__)
    assert dir(simulations) == sorted(simulations.__all__)


def test_a_name_that_left_the_short_list_is_imported_from_its_submodule():
    with pytest.raises(AttributeError, match="trajectories"):
        _ = simulations.trajectories
    from theraloop.simulations.report import trajectories

    assert callable(trajectories)


@pytest.mark.parametrize("method", ["start_session", "respond", "end_session", "history", "close"])
def test_the_real_agent_fulfils_the_runners_therapist_protocol(method):
    import theraloop.agent as agent
    from theraloop.simulations.job import Therapist

    names = {**vars(agent), "Sequence": Sequence}
    wanted = get_type_hints(getattr(Therapist, method), localns=names)
    given = get_type_hints(getattr(agent.TherapistAgent, method), localns=names)
    assert {name: given.get(name) for name in wanted} == wanted
