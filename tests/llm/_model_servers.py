"""Loopback HTTP servers that answer with the request and response shapes of real model servers.

Each fake keeps the requests it received, so a test can check what the client sent (the
``response_format`` or ``format`` a structured call used), and answers the way the real server
does for that request:

* ``llama_cpp.server`` 0.3.x refuses ``response_format.type == "json_schema"`` with HTTP 500 and
  its OpenAI-style error body quoting the pydantic validation error (see
  ``llama_cpp/server/errors.py``), and takes ``json_object`` with an optional ``schema``;
* vLLM's OpenAI server takes ``json_schema``;
* a bare OpenAI-compatible server refuses any ``response_format`` with HTTP 400;
* Ollama's ``/api/chat`` streams NDJSON and takes a JSON schema as ``format``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any]], str]
"""Given a request body, the assistant's reply text."""

LLAMACPP_JSON_SCHEMA_ERROR = (
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, "
    "input_value='json_schema', input_type=str]"
)


@dataclass
class FakeServer:
    """A running fake: its base URL and the JSON bodies it received, in order."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def formats(self) -> list[Any]:
        """Return each request's ``response_format`` type (OpenAI) or ``format`` (Ollama)."""
        out = []
        for body in self.requests:
            if "response_format" in body:
                out.append(body["response_format"]["type"])
            else:
                out.append(body.get("format"))
        return out


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "fixture"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def llamacpp_server(body: dict[str, Any], answer: Answer) -> tuple[int, dict[str, Any]]:
    """Answer like ``llama_cpp.server``: no ``json_schema`` response format."""
    kind = (body.get("response_format") or {}).get("type")
    if kind not in (None, "text", "json_object"):
        message = LLAMACPP_JSON_SCHEMA_ERROR.replace("'json_schema'", repr(kind))
        error = {"message": message, "type": "internal_server_error", "param": None, "code": None}
        return 500, {"error": error}
    return 200, _completion(body, answer(body))


def vllm_server(body: dict[str, Any], answer: Answer) -> tuple[int, dict[str, Any]]:
    """Answer like vLLM's OpenAI server, which takes ``json_schema``."""
    return 200, _completion(body, answer(body))


def bare_server(body: dict[str, Any], answer: Answer) -> tuple[int, dict[str, Any]]:
    """Answer like a server with no JSON modes at all (HTTP 400 on any ``response_format``)."""
    if body.get("response_format"):
        error = {"message": "response_format is not supported", "type": "invalid_request_error"}
        return 400, {"error": error}
    return 200, _completion(body, answer(body))


@contextmanager
def serve_openai(
    behaviour: Callable[[dict[str, Any], Answer], tuple[int, dict[str, Any]]], answer: Answer
) -> Iterator[FakeServer]:
    """Run an OpenAI-compatible fake on loopback; ``url`` ends in ``/v1``."""
    with _serve(lambda path, body: behaviour(body, answer), ndjson=False) as server:
        server.url += "/v1"
        yield server


@contextmanager
def serve_ollama(answer: Answer) -> Iterator[FakeServer]:
    """Run an Ollama ``/api/chat`` fake on loopback (one NDJSON line per reply)."""

    def chat(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path != "/api/chat":
            return 404, {"error": f"404 page not found: {path}"}
        return 200, {
            "model": body.get("model"),
            "created_at": "2026-12-05T00:00:00Z",
            "message": {"role": "assistant", "content": answer(body)},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "prompt_eval_count": 10,
            "eval_count": 10,
        }

    with _serve(chat, ndjson=True) as server:
        yield server


@contextmanager
def _serve(
    respond: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]], *, ndjson: bool
) -> Iterator[FakeServer]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            received.append(body)
            status, payload = respond(self.path, body)
            data = (json.dumps(payload) + ("\n" if ndjson else "")).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/x-ndjson" if ndjson else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeServer(url=f"http://127.0.0.1:{httpd.server_address[1]}", requests=received)
    finally:
        httpd.shutdown()
        httpd.server_close()
