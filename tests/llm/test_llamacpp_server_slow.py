"""A real ``llama_cpp.server`` on loopback with the small model, reached by an ``openai:`` spec.

The server refuses the ``json_schema`` response format; structured output must still work, by
the negotiated ``json_object`` + schema method, and the refusal must be recorded.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from theraloop.agent.llm import make_chat_model

pytestmark = pytest.mark.slow

START_S = 180.0


class Emotion(BaseModel):
    """The main emotion in a message."""

    label: Literal["joy", "sadness", "anger", "fear", "neutral"] = Field(
        description="The dominant emotion."
    )
    intensity: int = Field(ge=1, le=5, description="1 = faint, 5 = overwhelming.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(small_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``python -m llama_cpp.server`` with the 0.5B model; yield its ``/v1`` URL."""
    for extra in ("fastapi", "sse_starlette", "starlette_context", "uvicorn"):
        pytest.importorskip(extra, reason="needs llama-cpp-python[server]")
    port = _free_port()
    log = tmp_path_factory.mktemp("llamacpp-server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(small_gguf),
                "--model_alias",
                "local-small",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + START_S
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _model(url: str):  # noqa: ANN202
    pytest.importorskip("langchain_openai")
    return make_chat_model(
        "openai:local-small", base_url=url, temperature=0.0, max_tokens=48, max_retries=0
    )


def test_a_plain_reply_comes_back(server_url: str) -> None:
    assert _model(server_url).invoke("Say hello in three words.").text.strip()


def test_structured_output_negotiates_past_the_json_schema_refusal(server_url: str) -> None:
    model = _model(server_url)
    reading = model.with_structured_output(Emotion).invoke(
        "Label the emotion of: 'I failed my exam and I feel awful.'"
    )
    assert isinstance(reading, Emotion)
    assert model.negotiation.method == "json_mode"
    (note,) = model.negotiation.dropped
    assert "Error code: 500" in note and "Input should be 'text' or 'json_object'" in note
