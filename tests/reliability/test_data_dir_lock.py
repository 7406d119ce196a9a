"""One process per embedded data dir: a second one is refused by name, a dead one's lock is taken.

Every check runs real child processes on real stores (SQLite, embedded Chroma) with scripted
models; the lock is the kernel's ``flock``, so a SIGKILLed holder frees it at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.reliability import _support as s
from theraloop.agent import DataDirInUseError, Settings
from theraloop.agent._dirlock import LOCK_FILE
from theraloop.agent._wiring import uses_embedded_stores

_HOLD = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from tests.reliability import _support as s
from theraloop.memory import HashingEmbedder
agent = s.build_agent(__import__("pathlib").Path({data!r}), HashingEmbedder(dim=64))
agent.start_session(s.CLIENT)
print("ready", os.getpid(), flush=True)
if {die!r}:
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.readline()
agent.close()
"""


def _start_holder(data: Path, *, die: bool = False) -> subprocess.Popen[str]:
    code = _HOLD.format(repo=str(s.REPO), data=str(data), die=die)
    proc = subprocess.Popen(
        [s.python(), "-c", code],
        env=s.child_env(),
        cwd=s.REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        pytest.fail(f"holder did not start: {proc.communicate(timeout=30)[1][-3000:]}")
    return proc


def test_a_second_process_on_the_same_data_dir_is_refused_naming_the_holder(tmp_path, hashing):
    data = tmp_path / "data"
    holder = _start_holder(data)
    try:
        with pytest.raises(DataDirInUseError, match=rf"in use by pid {holder.pid} on "):
            s.build_agent(data, hashing)
    finally:
        holder.communicate("done\n", timeout=60)
    assert holder.returncode == 0


def test_the_data_dir_is_free_again_once_its_holder_closed_the_agent(make_agent, tmp_path):
    data = tmp_path / "data"
    holder = _start_holder(data)
    holder.communicate("done\n", timeout=60)
    agent = make_agent(data)
    assert agent.start_session(s.CLIENT).resumed  # the holder's session is there to resume


def test_a_lock_left_by_a_killed_process_is_taken_over(make_agent, tmp_path):
    data = tmp_path / "data"
    holder = _start_holder(data, die=True)
    holder.wait(timeout=60)
    assert holder.returncode == -signal.SIGKILL
    assert json.loads((data / LOCK_FILE).read_text())["pid"] == holder.pid  # left behind
    agent = make_agent(data)
    assert agent.start_session(s.CLIENT).resumed
    assert json.loads((data / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_agents_of_one_process_may_share_a_data_dir(make_agent, tmp_path):
    first = make_agent(tmp_path / "data")
    second = make_agent(tmp_path / "data")
    first.close()  # the other agent still holds the dir for this process
    holder_blocked = subprocess.run(
        [s.python(), "-c", _LOCK_ONLY.format(data=str(tmp_path / "data"))],
        env=s.child_env(),
        cwd=s.REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "DataDirInUseError" in holder_blocked.stderr
    second.close()


_LOCK_ONLY = """
from pathlib import Path
from theraloop.agent._dirlock import lock_data_dir
lock_data_dir(Path({data!r}))
"""


@pytest.mark.parametrize(
    ("urls", "locks"),
    [
        ({}, True),
        ({"checkpoint_url": "postgresql://h/db"}, True),  # Chroma still embedded in data_dir
        ({"chroma_url": "http://127.0.0.1:8000"}, True),  # SQLite still in data_dir
        ({"checkpoint_url": "postgresql://h/db", "chroma_url": "http://127.0.0.1:8000"}, False),
        ({"checkpoint_url": "postgresql://h/db", "use_memory": False}, False),
    ],
)
def test_only_settings_with_a_store_in_data_dir_take_the_lock(urls, locks):
    assert uses_embedded_stores(Settings(therapist_model="fake", **urls)) is locks
