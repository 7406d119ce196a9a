"""``theraloop chat``: an interactive terminal session for a person, with the crisis protocol on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["chat_main", "build_chat_parser"]

_BANNER = (
    "theraloop chat - research software, not a replacement for clinical care.\n"
    "If you are in danger, call your local emergency number now.\n"
    "Type /end to close the session (runs the review), /quit to leave it open.\n"
)


def build_chat_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the chat options to ``parser`` (or a new one) and return it."""
    parser = parser or argparse.ArgumentParser(prog="theraloop chat", description=__doc__)
    parser.add_argument("--client", required=True, help="client id (resumes their history)")
    parser.add_argument(
        "--data-dir", help="data directory (default: THERALOOP_DATA_DIR or ./theraloop-data)"
    )
    parser.add_argument(
        "--model", help="therapist model spec (default: THERALOOP_THERAPIST_MODEL or local)"
    )
    return parser


def chat_main(
    argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run an interactive session; return the process exit code."""
    args = build_chat_parser().parse_args(argv)
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    from theraloop.agent.errors import TheraloopError
    from theraloop.agent.settings import Settings
    from theraloop.agent.therapist import TherapistAgent

    overrides = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.model:
        overrides["therapist_model"] = args.model
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    def on_crisis(event: object) -> None:
        print("[crisis protocol active: a human should follow up]", file=sys.stderr)

    echo = not _is_terminal(stdin)  # a piped transcript then reads as a dialogue
    stdout.write(_BANNER)
    _status(f"loading the embedder, the risk reader and the {settings.therapist_model!r} model")
    with TherapistAgent.from_settings(settings, on_crisis=on_crisis) as agent:
        _status("preparing the opening (the first call of a local model loads it)")
        info = agent.start_session(args.client)
        stdout.write(f"\n(session {info.session_number}{', resumed' if info.resumed else ''})\n")
        stdout.write(f"therapist> {info.opening}\n")
        while True:
            stdout.write("you> ")
            stdout.flush()
            line = stdin.readline()
            if echo:
                stdout.write(line if line.endswith("\n") else line + "\n")
            if not line or line.strip() == "/quit":
                stdout.write("\n(session left open; run again to continue)\n")
                return 0
            if line.strip() == "/end":
                _status("closing the session: summary, review and plan")
                review = agent.end_session(args.client)
                stdout.write(f"(session closed: {review.decision} - {review.reason})\n")
                return 0
            if not line.strip():
                continue
            stdout.write("therapist> ")
            try:
                for piece in agent.stream(args.client, line):
                    stdout.write(piece)
                    stdout.flush()
            except TheraloopError as exc:
                stdout.write(f"(error: {exc})\n")
                continue
            stdout.write("\n")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _status(text: str) -> None:
    """Say what is happening on stderr, so the dialogue on stdout stays clean."""
    print(f"({text}...)", file=sys.stderr, flush=True)
