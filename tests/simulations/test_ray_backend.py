"""The Ray backend on a local cluster: a head and two worker nodes on loopback.

The therapist is the stand-in (the runner's fake model), slowed a little per turn so a worker
node can be killed while its client is mid-session.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.simulations.sim_standin import StandInTherapist
from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.runner import RunConfig, load_manifest, run_ablations, run_simulation
from theraloop.simulations.trace import TraceTurn, completed_sessions, read_trace, trace_path

ray = pytest.importorskip("ray")
from ray._private import ray_constants  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from theraloop.simulations import RayOptions  # noqa: E402

pytestmark = pytest.mark.timeout(180)

CLIENTS = ["depression-maya", "risk-alex", "anxiety-leo", "grief-amara"]
REPO = Path(__file__).resolve().parents[2]
_NODE = {"object_store_memory": 80 * 1024 * 1024, "node_ip_address": "127.0.0.1"}
_FAST_NODE_DEATH = {"health_check_period_ms": 1000, "health_check_failure_threshold": 5}
"""A removed node is declared dead after about 5 s rather than 15 s or more, so a loaded
2-core machine still reschedules its client well within the test's wait."""


class ResendAwareStandIn(StandInTherapist):
    """The stand-in, crash-safe as the real agent's SQLite checkpoints are.

    Its state file is replaced atomically, so a killed worker never leaves it half written; and
    a message re-sent on resume (the worker died after the therapist saved the turn but before
    the trace recorded it) is answered once, as the real agent does.
    """

    def __init__(self, *args, delay_s: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delay_s = delay_s

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.path)

    def respond(self, client_id: str, text: str):
        time.sleep(self.delay_s)
        sessions = self.state["sessions"]
        if sessions and sessions[-1]["turns"] and sessions[-1]["turns"][-1]["text"] == text:
            sessions[-1]["turns"].pop()  # answered already: answer it again, in place
        return super().respond(client_id, text)


class SlowStandIns:
    """Agent factory of resend-aware stand-ins taking ``delay_s`` per reply (picklable)."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def __call__(self, data_dir: Path, config: RunConfig, clock) -> StandInTherapist:
        return ResendAwareStandIn(data_dir, config, clock, delay_s=self.delay_s)


@pytest.fixture(scope="module")
def cluster():
    """A head (no CPUs: it schedules nothing) and worker nodes of one CPU each, on loopback."""
    env = {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # every address resolves to 127.0.0.1
        "PYTHONPATH": os.pathsep.join(
            [str(REPO), str(REPO / "tests" / "simulations"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # read by the node processes
    single_machine = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False  # and by this one, after ray was imported
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    local = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "include_dashboard": False,
            "_system_config": _FAST_NODE_DEATH,
            **_NODE,
        },
    )
    try:
        ray.init(address=local.address, log_to_driver=False, _node_ip_address="127.0.0.1")
        yield local
    finally:
        ray.shutdown()
        local.shutdown()
        ray_constants.ENABLE_RAY_CLUSTER = single_machine
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def two_workers(cluster):
    """Make sure two live worker nodes are in the cluster; return them."""
    workers = list(cluster.worker_nodes)
    while len(workers) < 2:
        workers.append(cluster.add_node(num_cpus=1, **_NODE))
    cluster.wait_for_nodes()
    return workers


def config(**kw) -> RunConfig:
    return RunConfig(**{"sessions": 2, "turns": 4, "seed": 3, **kw})


def stripped(out: Path, cid: str) -> list[str]:
    """Return the trace lines without the field that says a session was resumed."""
    lines = []
    for line in trace_path(out, cid).read_text().splitlines():
        data = json.loads(line)
        data.pop("resumed", None)
        lines.append(json.dumps(data, sort_keys=True))
    return lines


def on_threads(out: Path) -> None:
    result = run_simulation(
        config(workers=2),
        out,
        resolve_profiles(CLIENTS),
        agent_factory=SlowStandIns(0.0),
        progress=False,
    )
    assert result.ok


def on_ray(out: Path, *, retries: int, delay_s: float = 0.15):
    return run_simulation(
        config(),
        out,
        resolve_profiles(CLIENTS),
        agent_factory=SlowStandIns(delay_s),
        progress=False,
        ray=RayOptions(address="auto", task_retries=retries, lock_timeout_s=60),
    )


def _mid_session(out: Path, cid: str) -> bool:
    turns = [r for r in read_trace(trace_path(out, cid)) if isinstance(r, TraceTurn)]
    return len(turns) >= 2 and len(turns) % 4 != 0


def writer_mid_session(out: Path, *, freeze: bool = False) -> int:
    """Wait until some client is inside a session; return the pid of the worker writing it.

    With ``freeze`` the worker is stopped (SIGSTOP) while still inside that session, so a slow
    machine cannot let it finish the session before the test kills its node.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for cid in CLIENTS:
            holder = out / "progress" / cid / "writer.lock"
            if _mid_session(out, cid) and holder.is_file():
                text = holder.read_text().split()
                if not text:
                    continue
                pid = int(text[0])
                if not freeze:
                    return pid
                os.kill(pid, signal.SIGSTOP)
                if _mid_session(out, cid):
                    return pid
                os.kill(pid, signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("no client started a session within 60 s")


def node_of(cluster, pid: int):
    """Return the cluster node whose raylet started worker process ``pid``."""
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    for node in cluster.worker_nodes:
        raylets = node.all_processes[ray_constants.PROCESS_TYPE_RAYLET]
        if any(info.process.pid == parent for info in raylets):
            return node
    raise AssertionError(f"worker {pid} belongs to no worker node")


def test_a_killed_worker_then_a_rerun_give_the_thread_backends_traces(
    tmp_path, cluster, two_workers
):
    on_threads(tmp_path / "threads")
    out = tmp_path / "ray"
    first: list = []
    run = threading.Thread(target=lambda: first.append(on_ray(out, retries=0)))
    run.start()
    os.kill(writer_mid_session(out), signal.SIGKILL)
    run.join(timeout=90)
    assert first and not first[0].ok
    lost = [o for o in first[0].outcomes if o.error]
    assert lost and all("worker lost" in o.error for o in lost)

    again = on_ray(out, retries=0, delay_s=0.0)

    assert again.ok, [(o.client_id, o.error) for o in again.outcomes if o.error]
    assert any(o.resumed and not o.skipped for o in again.outcomes)
    for cid in CLIENTS:
        assert completed_sessions(out, cid) == [1, 2]
        assert stripped(out, cid) == stripped(tmp_path / "threads", cid)
    manifest = load_manifest(out)
    assert [i.backend for i in manifest.invocations] == ["ray", "ray"]
    assert manifest.status == "complete"


def test_a_client_on_a_killed_node_is_retried_within_the_same_command(
    tmp_path, cluster, two_workers
):
    on_threads(tmp_path / "threads")
    out = tmp_path / "ray"
    result: list = []
    run = threading.Thread(target=lambda: result.append(on_ray(out, retries=2)))
    run.start()
    cluster.remove_node(
        node_of(cluster, writer_mid_session(out, freeze=True)), allow_graceful=False
    )
    run.join(timeout=150)

    assert result, "the run did not finish within 150 s"
    assert result[0].ok, [(o.client_id, o.error) for o in result[0].outcomes if o.error]
    assert any(o.resumed for o in result[0].outcomes)
    for cid in CLIENTS:
        assert stripped(out, cid) == stripped(tmp_path / "threads", cid)


def test_an_ablation_sweep_on_ray_equals_the_sweep_on_threads(tmp_path, cluster, two_workers):
    profiles = resolve_profiles(CLIENTS[:2])
    common = {"agent_factory": SlowStandIns(0.0), "progress": False}
    run_ablations(config(sessions=1), tmp_path / "threads", profiles, **common)
    results = run_ablations(
        config(sessions=1),
        tmp_path / "ray",
        profiles,
        ray=RayOptions(address="auto"),
        **common,
    )

    assert list(results) == ["full", "no-memory", "no-cross-session", "fixed-cbt"]
    for label, result in results.items():
        assert result.ok
        for cid in CLIENTS[:2]:
            assert stripped(tmp_path / "ray" / label, cid) == stripped(
                tmp_path / "threads" / label, cid
            )


def test_each_client_has_a_progress_bar_fed_by_its_task(tmp_path, cluster, two_workers):
    from rich.console import Console

    screen = io.StringIO()
    result = run_simulation(
        config(sessions=1),
        tmp_path,
        resolve_profiles(CLIENTS[:2]),
        agent_factory=SlowStandIns(0.0),
        console=Console(file=screen, width=120),
        ray=RayOptions(address="auto"),
    )

    assert result.ok
    lines = screen.getvalue().splitlines()
    for cid in CLIENTS[:2]:
        assert any(f"{cid} done" in line and "4/4" in line for line in lines)
    assert any("all clients (turns)" in line and "8/8" in line for line in lines)


def test_a_factory_that_cannot_travel_to_the_workers_is_refused(tmp_path, cluster):
    lock = threading.Lock()

    def factory(data_dir, config, clock):  # holds a lock: cannot be pickled
        with lock:
            return StandInTherapist(data_dir, config, clock)

    with pytest.raises(InvalidInputError, match="must be picklable"):
        run_simulation(
            config(),
            tmp_path,
            resolve_profiles(CLIENTS[:1]),
            agent_factory=factory,
            progress=False,
            ray=RayOptions(address="auto"),
        )


def test_the_cli_refuses_an_address_without_the_ray_backend(tmp_path, capsys):
    from theraloop.simulations.cli import main

    code = main(
        ["simulate", "--out", str(tmp_path), "--address", "auto", "--therapist-model", "fake"]
    )

    assert code == 2
    assert "--address needs --backend ray" in capsys.readouterr().err
