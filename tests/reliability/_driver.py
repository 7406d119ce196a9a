"""Child process for the crash tests: run a scripted session and SIGKILL itself at a chosen point.

Usage::

    python -m tests.reliability._driver kill --data-dir D --point recall [--checkpoint-url URL]
        [--chroma-url URL] [--client kim]
    python -m tests.reliability._driver serve --data-dir D --clients a b c [--chroma-url URL]

``kill`` opens a session for ``kim``, sends two messages and (for the cross-session points) ends
the session; the point's dependency is wrapped so that, at the chosen moment, the process kills
itself with ``SIGKILL`` (no ``finally``, no flush, no atexit: exactly a power cut). Exit status 3
means the point was never reached, which the test reports as a failure.

``serve`` runs one full session per client and exits 0 (used to run two processes at once
against server-mode stores).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.reliability import _support as s

# point -> (phase it fires in, whether it fires after the wrapped call returned)
POINTS: dict[str, tuple[str, bool]] = {
    # intra-session graph, during the second client turn
    "perceive": ("turn2", False),
    "assess_risk": ("turn2", False),
    "crisis_protocol": ("turn2", False),
    "recall": ("turn2", False),
    "read_reaction": ("turn2", False),
    "choose_strategy": ("turn2", False),
    "respond": ("turn2", False),
    "remember:memories_written": ("turn2", True),
    "remember:trace_written": ("turn2", True),
    "remember:crisis_recorded": ("turn2", True),
    # cross-session graph, during end_session
    "summarize": ("end", False),
    "summarize:summary_written": ("end", True),
    "measure": ("end", True),
    "review": ("end", False),
    "plan:plan_saved": ("end", True),
    "consolidate:portrait_saved": ("end", True),
    "consolidate:review_saved": ("end", True),
    "end_session:closing": ("end", False),
}
CRISIS_POINTS = {"crisis_protocol", "remember:crisis_recorded"}
INTRA = [p for p, (phase, _) in POINTS.items() if phase == "turn2"]
CROSS = [p for p, (phase, _) in POINTS.items() if phase == "end"]
NOT_REACHED = 3


class KillSwitch:
    """Kill this process the first time the armed point is reached in its phase."""

    def __init__(self, point: str) -> None:
        self.point = point
        self.phase_wanted, self.after = POINTS[point]
        self.phase = "setup"

    def fire(self, name: str) -> None:
        if name == self.point and self.phase == self.phase_wanted:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not self.after:
                self.fire(name)
            result = original(*args, **kwargs)
            if self.after:
                self.fire(name)
            return result

        setattr(owner, attr, wrapper)


def arm(agent: Any, switch: KillSwitch) -> None:
    """Wrap the dependency each point's node calls."""
    import theraloop.agent.session_graph as sg
    import theraloop.agent.supervisor_graph as sup

    point = switch.point
    targets: dict[str, tuple[Any, str]] = {
        "perceive": (agent.perceiver, "perceive"),
        "assess_risk": (agent.assessor, "assess"),
        "crisis_protocol": (sg, "crisis_reply"),
        "recall": (agent.memory, "search"),
        "read_reaction": (sg, "read_client_reaction"),
        "choose_strategy": (sg, "policy_choose"),
        "remember:memories_written": (agent.memory, "add_many"),
        "remember:trace_written": (agent.records, "save_trace"),
        "remember:crisis_recorded": (agent.records, "save_crisis"),
        "summarize:summary_written": (agent.memory, "add"),
        "measure": (agent.records, "save_signals"),
        "review": (sup, "review_efficacy"),
        "plan:plan_saved": (agent.records, "save_plan"),
        "consolidate:portrait_saved": (agent.records, "save_portrait"),
        "consolidate:review_saved": (agent.records, "save_review"),
        "end_session:closing": (agent.records, "save_session"),
    }
    if point in targets:
        owner, attr = targets[point]
        if not callable(getattr(owner, attr, None)):
            raise SystemExit(f"cannot arm {point!r}: {owner!r} has no callable {attr!r}")
        switch.wrap(owner, attr, point)


def run_kill(args: argparse.Namespace) -> int:
    switch = KillSwitch(args.point)

    def therapist(messages: Any) -> str:
        switch.fire("respond")
        return s.therapist_reply(messages)

    def supervisor(messages: Any, schema: Any = None) -> Any:
        if schema is not None:
            switch.fire("summarize")
        return s.supervisor_reply(messages, schema)

    agent = s.build_agent(
        Path(args.data_dir),
        s.make_embedder(args.embedder),
        therapist=therapist,
        supervisor=supervisor,
        checkpoint_url=args.checkpoint_url,
        chroma_url=args.chroma_url,
    )
    arm(agent, switch)
    agent.start_session(args.client)
    second = s.CRISIS_TEXT if args.point in CRISIS_POINTS else s.TURNS[1]
    for number, text in enumerate((s.TURNS[0], second), start=1):
        switch.phase = f"turn{number}"
        agent.respond(args.client, text)
    if switch.phase_wanted == "end":
        switch.phase = "end"
        agent.end_session(args.client)
    print(f"point {args.point!r} was never reached", file=sys.stderr)
    return NOT_REACHED


def run_serve(args: argparse.Namespace) -> int:
    agent = s.build_agent(
        Path(args.data_dir),
        s.make_embedder(args.embedder),
        checkpoint_url=args.checkpoint_url,
        chroma_url=args.chroma_url,
    )
    for client in args.clients:
        agent.start_session(client)
        for text in s.TURNS:
            agent.respond(client, f"{text} ({client})")
        agent.end_session(client)
    agent.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("kill", "serve"):
        p = sub.add_parser(mode)
        p.add_argument("--data-dir", required=True)
        p.add_argument("--embedder", default="hashing", choices=("hashing", "minilm"))
        p.add_argument("--checkpoint-url")
        p.add_argument("--chroma-url")
        if mode == "kill":
            p.add_argument("--point", required=True, choices=sorted(POINTS))
            p.add_argument("--client", default=s.CLIENT)
        else:
            p.add_argument("--clients", nargs="+", required=True)
    args = parser.parse_args(argv)
    return run_kill(args) if args.mode == "kill" else run_serve(args)


if __name__ == "__main__":
    sys.exit(main())
