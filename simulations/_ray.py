"""Run a simulation's clients as Ray tasks, one task per client (``--backend ray``).

Each task runs the same :class:`~theraloop.simulations.job.ClientJob` the thread backend runs,
against the run directory itself, so traces, session markers and agent data land in the usual layout
and a task resumes exactly as a thread does. The run directory must therefore be reachable at the
same path from every node: any directory on a single machine, a shared filesystem on a cluster.

One writer per client holds by construction (one task per client) and is enforced across
retries: a task takes an exclusive lock on ``OUT/progress/<id>/writer.lock`` before touching the
client, so a retry waits until a dying worker's process has really gone.

A task streams its progress back as small events (a Ray generator); the driver replays them on
its bars, one per client. When a worker or node dies the driver submits the client again (up to
``RayOptions.task_retries`` times); the new task resumes from the trace and the agent's
checkpoint, and re-running the command resumes whatever is still unfinished.

``ray`` is imported only here, and only when a run asks for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.config import RunConfig
from theraloop.simulations.factories import default_agent_factory, default_client_model_factory
from theraloop.simulations.job import (
    AgentFactory,
    BarHandle,
    ClientJob,
    ClientModelFactory,
    ClientOutcome,
    safe_run,
)
from theraloop.simulations.profiles import ClientProfile
from theraloop.simulations.progress import ProgressBars
from theraloop.simulations.trace import completed_sessions

__all__ = ["RayOptions", "ray_connection", "run_on_ray"]

_LOCK_NAME = "writer.lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class RayOptions:
    """Where and how a run's clients execute on Ray."""

    address: str | None = None
    """``auto`` (the cluster this machine belongs to), ``ray://host:10001``, ``host:port``, or
    ``None`` to start a private local Ray for the run with ``--workers`` CPUs."""
    task_retries: int = 3
    """Times a client is submitted again after its worker or node died."""
    lock_timeout_s: float = 300.0
    """How long a task waits for the client's writer lock held by a dying worker."""
    object_store_memory: int = 200 * 1024 * 1024
    """Object store size of a private local Ray (results are small: progress events)."""


@dataclass(frozen=True, slots=True)
class _Added:
    """A task opened the client's bar (``completed`` turns already on disk)."""

    description: str
    total: int
    completed: int


@dataclass(frozen=True, slots=True)
class _Updated:
    """The bar's description changed (the session being run)."""

    description: str


@dataclass(frozen=True, slots=True)
class _Advanced:
    """Turns finished since the last event."""

    steps: int


_Event = _Added | _Updated | _Advanced


@dataclass(frozen=True, slots=True)
class _TaskSpec:
    """Everything one client's task needs; pickled to the worker."""

    profile: ClientProfile
    config: RunConfig
    out: str
    factory: AgentFactory | None
    client_model_factory: ClientModelFactory | None
    lock_timeout_s: float


class _QueueProgress:
    """The progress interface of a ``ClientJob``, turned into events on a queue."""

    def __init__(self, events: queue.Queue[_Event | None]) -> None:
        self._events = events

    def add(self, description: str, total: int, completed: int) -> int:
        self._events.put(_Added(description, total, completed))
        return 0

    def update(self, task: BarHandle, description: str) -> None:
        self._events.put(_Updated(description))

    def advance(self, task: BarHandle, steps: int = 1) -> None:
        self._events.put(_Advanced(steps))


_worker_factories: dict[str, Any] = {}
_worker_lock = threading.Lock()


def _worker_default_factory() -> AgentFactory:
    """Return this worker process's default agent factory (embedder and weights load once)."""
    with _worker_lock:
        return _worker_factories.setdefault("agent", default_agent_factory())


def _worker_client_models(config: RunConfig) -> ClientModelFactory | None:
    """Return this worker process's client-model factory for ``config.client_model``."""
    if config.client_model == "fake":
        return None
    with _worker_lock:
        key = f"client:{config.client_model}:{config.seed}"
        return _worker_factories.setdefault(key, default_client_model_factory(config))


@contextlib.contextmanager
def _writer_lock(out: Path, client_id: str, timeout_s: float) -> Iterator[None]:
    """Hold the client's exclusive writer lock (released by the OS if the process dies).

    The file names the holder (pid and host) while it is held.
    """
    path = out / "progress" / client_id / _LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with path.open("a") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = path.read_text(encoding="utf-8").strip() or "unknown"
                    raise TimeoutError(
                        f"client {client_id!r} is still being written by another process "
                        f"(pid and host: {holder}) after {timeout_s:.0f} s ({path})"
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()} {socket.gethostname()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _client_task(spec: _TaskSpec) -> Iterator[_Event | ClientOutcome]:
    """Run one client on a worker, yielding progress events, then its :class:`ClientOutcome`."""
    out = Path(spec.out)
    events: queue.Queue[_Event | None] = queue.Queue()
    stop = threading.Event()
    result: list[ClientOutcome] = []
    with _writer_lock(out, spec.profile.id, spec.lock_timeout_s):
        job = ClientJob(
            spec.profile,
            spec.config,
            out,
            spec.factory or _worker_default_factory(),
            _QueueProgress(events),
            stop,
            spec.client_model_factory or _worker_client_models(spec.config),
        )

        def work() -> None:
            try:
                result.append(safe_run(job))
            finally:
                events.put(None)

        runner = threading.Thread(target=work, name=f"client-{spec.profile.id}", daemon=True)
        runner.start()
        try:
            while (event := events.get()) is not None:
                yield event
        except (KeyboardInterrupt, GeneratorExit):  # ray.cancel: stop after the current turn
            stop.set()
            runner.join()
            raise
        runner.join()
    yield result[0]


class _ClientBar:
    """The driver's bar of one client; a retried task re-opens it at the turns on disk."""

    def __init__(self, bars: ProgressBars) -> None:
        self._bars = bars
        self._task: BarHandle = None
        self._done = 0

    def apply(self, event: _Event) -> None:
        if isinstance(event, _Added):
            if self._task is None:
                self._task = self._bars.add(event.description, event.total, event.completed)
            else:
                self._bars.advance(self._task, event.completed - self._done)
                self._bars.update(self._task, event.description)
            self._done = event.completed
        elif isinstance(event, _Updated):
            self._bars.update(self._task, event.description)
        else:
            self._bars.advance(self._task, event.steps)
            self._done += event.steps


@contextlib.contextmanager
def ray_connection(options: RayOptions, num_cpus: int) -> Iterator[Any]:
    """Yield the ``ray`` module connected to ``options.address`` (or a private local Ray).

    Reuses a connection that is already open (and leaves it open); otherwise connects and
    disconnects on exit.

    Raises:
        InvalidInputError: Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise InvalidInputError(
            "--backend ray needs Ray: pip install 'theraloop[ray]' (on every node of the cluster)"
        ) from None
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
    if options.address is None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a private Ray reports nothing
        kwargs.update(
            num_cpus=num_cpus,
            include_dashboard=False,
            object_store_memory=options.object_store_memory,
        )
    else:
        kwargs["address"] = options.address
    ray.init(**kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()


def run_on_ray(
    options: RayOptions,
    config: RunConfig,
    out: Path,
    profiles: Sequence[ClientProfile],
    *,
    agent_factory: AgentFactory | None,
    client_model_factory: ClientModelFactory | None,
    progress: ProgressBars,
) -> tuple[list[ClientOutcome], bool]:
    """Run every client as a Ray task; return the outcomes (``profiles`` order), if interrupted.

    ``agent_factory`` and ``client_model_factory`` travel to the workers pickled, so they must
    be picklable (module-level functions or classes); ``None`` builds the defaults on each
    worker, once per worker process.
    """
    out = Path(out).resolve()
    with ray_connection(options, num_cpus=config.workers) as ray:
        try:
            ray.cloudpickle.dumps((agent_factory, client_model_factory))
        except Exception as exc:  # noqa: BLE001 - any pickling failure means the same thing
            raise InvalidInputError(
                "the agent and client-model factories travel to Ray workers and must be "
                f"picklable (module-level functions or classes): {type(exc).__name__}: {exc}"
            ) from exc
        task = ray.remote(_client_task).options(num_cpus=1, max_retries=0)
        stop = threading.Event()
        running: dict[str, Any] = {}
        lock = threading.Lock()

        def drive(profile: ClientProfile) -> ClientOutcome:
            spec = _TaskSpec(
                profile,
                config,
                str(out),
                agent_factory,
                client_model_factory,
                options.lock_timeout_s,
            )
            bar = _ClientBar(progress)
            failures: list[str] = []
            for _attempt in range(options.task_retries + 1):
                if stop.is_set():
                    break
                generator = task.remote(spec)
                with lock:
                    running[profile.id] = generator
                try:
                    for ref in generator:
                        item = ray.get(ref)
                        if isinstance(item, ClientOutcome):
                            return item
                        bar.apply(item)
                except ray.exceptions.RayError as exc:
                    if stop.is_set():  # cancelled by the user's interrupt
                        return _failed(out, profile.id, "interrupted")
                    if isinstance(exc, ray.exceptions.RayTaskError):  # the task's code raised
                        return _failed(out, profile.id, f"{type(exc.cause).__name__}: {exc.cause}")
                    failures.append(type(exc).__name__)  # the worker or its node died: retry
                finally:
                    with lock:
                        running.pop(profile.id, None)
            if stop.is_set():
                return _failed(out, profile.id, "interrupted")
            return _failed(
                out, profile.id, f"worker lost {len(failures)} time(s): {', '.join(failures)}"
            )

        interrupted = False
        with ThreadPoolExecutor(max_workers=max(1, min(len(profiles), 256))) as pool:
            futures = [pool.submit(drive, p) for p in profiles]
            outcomes: list[ClientOutcome] = []
            try:
                for future in futures:
                    outcomes.append(future.result())
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
                with lock:
                    for generator in running.values():
                        with contextlib.suppress(Exception):
                            ray.cancel(generator)
                outcomes = [
                    _result_or_interrupted(f, out, p)
                    for f, p in zip(futures, profiles, strict=True)
                ]
    return outcomes, interrupted


def _result_or_interrupted(future: Any, out: Path, profile: ClientProfile) -> ClientOutcome:
    try:
        return future.result(timeout=60)
    except BaseException:  # noqa: BLE001 - an interrupted client is reported, not raised
        return _failed(out, profile.id, "interrupted")


def _failed(out: Path, client_id: str, error: str) -> ClientOutcome:
    return ClientOutcome(
        client_id=client_id,
        sessions_done=len(completed_sessions(out, client_id)),
        error=error,
    )
