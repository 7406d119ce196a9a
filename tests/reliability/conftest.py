"""Reliability fixtures: agents on real stores with scripted models, services started for real."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_service import chroma_server_url, postgres_cluster, postgres_url  # noqa: F401
from tests.reliability import _support as s


@pytest.fixture(scope="session")
def hashing() -> Any:
    """A deterministic, torch-free embedder: crash children load in ~2 s instead of ~8 s."""
    from theraloop.memory import HashingEmbedder

    return HashingEmbedder(dim=64)


@pytest.fixture
def clock() -> Any:
    from theraloop.memory import ManualClock

    return ManualClock(s.T0)


@pytest.fixture
def make_agent(tmp_path: Path, clock: Any, hashing: Any) -> Iterator[Callable[..., Any]]:
    """Build agents on one data dir; a second call is a process restart on the same data."""
    built: list[Any] = []

    def make(data_dir: Path | None = None, embedder: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("clock", clock)
        agent = s.build_agent(data_dir or tmp_path / "data", embedder or hashing, **kwargs)
        built.append(agent)
        return agent

    yield make
    for agent in built:
        agent.close()


# crashes that test_crash_resume.py's extra scenarios use: test name -> (point, tag)
EXTRA_CRASHES = {
    "test_after_a_crash_the_client_may_simply_go_on_without_resending": ("respond", "-continue"),
    "test_resending_the_interrupted_message_without_start_session_answers_it_once": (
        "remember:memories_written",
        "-resend",
    ),
    "test_start_session_after_a_crash_in_the_review_finishes_that_review_first": (
        "plan:plan_saved",
        "-restart",
    ),
}


def _planned_crashes(items: list[pytest.Item]) -> list[tuple[str, str]]:
    """Return the (point, tag) crashes the selected crash tests will ask for, in test order."""
    planned = []
    for item in items:
        if item.module is None or item.module.__name__ != "test_crash_resume":
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "point" in callspec.params:
            planned.append((callspec.params["point"], ""))
        elif item.originalname in EXTRA_CRASHES:
            planned.append(EXTRA_CRASHES[item.originalname])
    return planned


@pytest.fixture(scope="session")
def crashed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Path]]:
    """Return ``crashed(point, tag="")``: a data dir left behind by a child SIGKILLed at ``point``.

    The crashes every selected test needs are started in the background on first use, two
    children at a time, so each child's start-up (~2-5 s) overlaps with the checks of earlier ones.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    root = tmp_path_factory.mktemp("crashes")
    pool = ThreadPoolExecutor(max_workers=2)
    runs: dict[tuple[str, str], tuple[Path, Future]] = {}

    def submit(point: str, tag: str) -> None:
        data = root / f"{len(runs):02d}-{point.replace(':', '_')}{tag}" / "data"
        runs[(point, tag)] = (data, pool.submit(s.kill_child, data, point))

    def get(point: str, tag: str = "") -> Path:
        if not runs:
            for planned in _planned_crashes(request.session.items):
                if planned not in runs:
                    submit(*planned)
        if (point, tag) not in runs:
            submit(point, tag)
        data, future = runs[(point, tag)]
        future.result()  # re-raises the child's failure in the test that needs it
        return data

    yield get
    pool.shutdown(wait=True, cancel_futures=True)
