"""A process that used the local model exits cleanly, even with a call still decoding."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    from theraloop.agent.llm import ModelTimeoutError, invoke_with_timeout, make_chat_model

    model = make_chat_model("local-small", max_tokens=2000, temperature=0.7, n_ctx=4096)
    model.load()
    try:
        invoke_with_timeout(model, "Tell a very long story about the sea.", timeout_s=0.05)
    except ModelTimeoutError:
        print("abandoned a call that is still decoding", flush=True)
    """
)


def test_exit_is_clean_after_a_timed_out_call(small_gguf: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert "abandoned a call that is still decoding" in done.stdout, done.stderr[-2000:]
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
