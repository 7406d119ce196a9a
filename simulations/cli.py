"""The ``theraloop`` console script: ``simulate``, ``evaluate``, ``erase`` and ``chat``.

Only :mod:`argparse` is imported at module import so ``theraloop --help`` answers instantly; each
subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from theraloop.simulations._ray import RayOptions

__all__ = ["main", "build_parser"]

_ABLATION_CHOICES = ("none", "no-memory", "no-cross-session", "fixed-cbt", "all")
_EPILOG = (
    "Model specs: 'local' (embedded Qwen2.5-Coder-1.5B, llama.cpp), 'local-small' (0.5B), "
    "'fake' (deterministic: scripted therapist, template client, heuristic judge), "
    "'ollama:<model>', 'openai:<model>'. Research software, not a replacement for clinical care."
)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"THERALOOP_{name}", default)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``theraloop`` command."""
    parser = argparse.ArgumentParser(
        prog="theraloop",
        description="theraloop: a longitudinal therapist agent with long-term memory.",
        epilog=_EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="{simulate,evaluate,erase,chat}")
    sim = sub.add_parser(
        "simulate",
        help="run simulated clients through multi-session therapy (resumable)",
        description=(
            "Run every client for S sessions x T turns with simulated time passing. Re-running "
            "the same command continues an interrupted run."
        ),
        epilog=_EPILOG,
    )
    sim.add_argument(
        "--profiles",
        nargs="+",
        metavar="SPEC",
        help=(
            "shipped profile ids, globs over them ('anx*'), profile files or folders, or "
            "'cactus:PATH[:N]' for the first N Cactus intake forms (default: all shipped)"
        ),
    )
    sim.add_argument(
        "--sessions",
        type=int,
        default=3,
        metavar="S",
        help="sessions per client (default: %(default)s)",
    )
    sim.add_argument(
        "--turns",
        type=int,
        default=6,
        metavar="T",
        help="client turns per session (default: %(default)s)",
    )
    sim.add_argument(
        "--days-between",
        type=float,
        default=7.0,
        metavar="D",
        help="days between sessions (default: %(default)s)",
    )
    sim.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="W",
        help="clients simulated in parallel (threads, or the CPUs of a private local Ray; "
        "default: %(default)s)",
    )
    sim.add_argument(
        "--backend",
        choices=("threads", "ray"),
        default="threads",
        help="where clients run: threads in this process, or one Ray task per client "
        "(pip install 'theraloop[ray]'; default: %(default)s)",
    )
    sim.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="Ray cluster to use with --backend ray: 'auto' (the cluster this machine is in), "
        "'ray://HOST:10001' or HOST:PORT; OUT must be on storage every node mounts at the "
        "same path (default: start a private local Ray with --workers CPUs)",
    )
    sim.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory")
    sim.add_argument(
        "--therapist-model",
        default=_env("THERAPIST_MODEL", "local"),
        metavar="SPEC",
        help="therapist model (default: $THERALOOP_THERAPIST_MODEL or local)",
    )
    sim.add_argument(
        "--client-model",
        default=_env("CLIENT_MODEL", "fake"),
        metavar="SPEC",
        help="simulated-client model; fake = template voice (default: $THERALOOP_CLIENT_MODEL "
        "or fake)",
    )
    sim.add_argument(
        "--judge-model",
        default=_env("JUDGE_MODEL", "fake"),
        metavar="SPEC",
        help="judge model recorded for evaluate (default: $THERALOOP_JUDGE_MODEL or fake)",
    )
    sim.add_argument(
        "--ablation",
        choices=_ABLATION_CHOICES,
        default="none",
        help="switch a component off; 'all' runs every variant into OUT/<variant>",
    )
    sim.add_argument(
        "--seed", type=int, default=0, metavar="N", help="run seed (default: %(default)s)"
    )
    sim.add_argument(
        "--client-kind",
        default="stateful",
        metavar="NAME",
        help="simulated-client implementation (default: %(default)s)",
    )
    sim.add_argument(
        "--minutes-per-turn",
        type=float,
        default=3.0,
        metavar="M",
        help="simulated minutes per turn (default: %(default)s)",
    )
    sim.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    sim.add_argument(
        "--transcript",
        action="store_true",
        help="print the conversation live (client, therapist, and per turn the perceived "
        "emotion, risk level and strategy; each review's decision and reason) instead of bars",
    )

    ev = sub.add_parser(
        "evaluate",
        help="score runs and write report.md with plots",
        description=(
            "Write DIR/report.md and DIR/plots/*.png. DIR may be a run or a folder of ablation "
            "runs (then an ablation comparison is written too); several DIRs are compared."
        ),
        epilog=_EPILOG,
    )
    ev.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="run directory (or folder)")
    ev.add_argument(
        "--judge-model",
        default=None,
        metavar="SPEC",
        help="judge model; fake = heuristic judge (default: the run's, else fake)",
    )
    ev.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="comparison folder for several DIRs"
    )

    erase = sub.add_parser(
        "erase",
        help="remove one client from a simulation run (traces, data, manifest, reports)",
        description=(
            "Delete the client's trace, agent data dir (memory, checkpoints, records), progress "
            "markers and profile copy; rewrite the manifest and cached judge scores without them; "
            "delete reports built from the run (re-run `theraloop evaluate` for new ones). DIR "
            "may be an --ablation all folder: every variant is erased."
        ),
    )
    erase.add_argument("--run", type=Path, required=True, metavar="DIR", help="run directory")
    erase.add_argument("--client", required=True, metavar="ID", help="client (profile) id")

    chat = sub.add_parser(
        "chat",
        help="talk to the therapist yourself (delegates to theraloop.agent.cli)",
        description="Interactive session with the crisis protocol on; see `theraloop chat -h`.",
        add_help=False,
    )
    chat.add_argument("--client", metavar="ID", help="client id (resumes their history)")
    return parser


def _simulate(args: argparse.Namespace) -> int:
    from theraloop.memory.errors import InvalidInputError
    from theraloop.simulations.profile_specs import resolve_profiles
    from theraloop.simulations.runner import RunConfig, run_ablations, run_simulation

    if args.address is not None and args.backend != "ray":
        print("theraloop simulate: error: --address needs --backend ray", file=sys.stderr)
        return 2
    try:
        profiles = resolve_profiles(args.profiles)
        config = RunConfig(
            profiles=tuple(args.profiles or ()),
            sessions=args.sessions,
            turns=args.turns,
            days_between=args.days_between,
            workers=args.workers,
            therapist_model=args.therapist_model,
            client_model=args.client_model,
            judge_model=args.judge_model,
            ablation="none" if args.ablation == "all" else args.ablation,
            seed=args.seed,
            minutes_per_turn=args.minutes_per_turn,
            client_kind=args.client_kind,
        )
        _check_specs(config)
        print(
            f"simulating {len(profiles)} client(s) x {config.sessions} sessions x "
            f"{config.turns} turns -> {args.out}",
            file=sys.stderr,
        )
        follower = None
        if args.transcript:
            from theraloop.simulations.transcript import TranscriptFollower

            follower = TranscriptFollower(args.out)
            follower.skip_existing()
            follower.start()
        show_bars = not (args.no_progress or args.transcript)
        ray = _ray_options(args)
        try:
            if args.ablation == "all":
                results = run_ablations(config, args.out, profiles, progress=show_bars, ray=ray)
            else:
                results = {
                    "full" if args.ablation == "none" else args.ablation: run_simulation(
                        config, args.out, profiles, progress=show_bars, ray=ray
                    )
                }
        finally:
            if follower is not None:
                follower.stop()
    except (InvalidInputError, ValueError) as exc:
        print(f"theraloop simulate: error: {exc}", file=sys.stderr)
        return 2
    code = 0
    for label, result in results.items():
        done = sum(o.sessions_done for o in result.outcomes)
        print(
            f"[{label}] {len(result.outcomes)} client(s), {done} session(s) complete, "
            f"{sum(o.turns_written for o in result.outcomes)} turn(s) this run, "
            f"{result.wall_s:.1f} s -> {result.out}"
        )
        for o in result.outcomes:
            if o.error:
                print(f"  {o.client_id}: {o.error}", file=sys.stderr)
        if result.interrupted:
            print("interrupted: re-run the same command to continue", file=sys.stderr)
            return 130
        if not result.ok:
            code = 1
    print(f"next: theraloop evaluate {args.out}")
    return code


def _ray_options(args: argparse.Namespace) -> RayOptions | None:
    if args.backend != "ray":
        return None
    from theraloop.simulations._ray import RayOptions

    return RayOptions(address=args.address)


def _check_specs(config: object) -> None:
    from theraloop.agent.settings import validate_model_spec

    for name in ("therapist_model", "client_model", "judge_model"):
        validate_model_spec(getattr(config, name), name.replace("_", "-"))


def _evaluate(args: argparse.Namespace) -> int:
    from theraloop.memory.errors import InvalidInputError
    from theraloop.simulations.judge import make_judge
    from theraloop.simulations.report import write_comparison, write_report
    from theraloop.simulations.rundata import find_runs

    try:
        spec = args.judge_model
        if spec is None:
            first = next(iter(find_runs(args.dirs[0]).values()))
            spec = first.manifest.config.judge_model
        judge = make_judge(spec)
        if len(args.dirs) == 1:
            path = write_report(args.dirs[0], judge=judge)
        else:
            runs = {}
            for d in args.dirs:
                path = write_report(d, judge=judge)
                for label, run in find_runs(d).items():
                    runs[label if label not in runs else f"{label}@{Path(d).name}"] = run
            out = args.out or Path(os.path.commonpath([str(d.resolve()) for d in args.dirs]))
            path = write_comparison(runs, out, judge)
    except (InvalidInputError, ValueError) as exc:
        print(f"theraloop evaluate: error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0


def _erase(args: argparse.Namespace) -> int:
    from theraloop.memory.errors import InvalidInputError
    from theraloop.simulations.erase import erase_client_from_run

    try:
        report = erase_client_from_run(args.run, args.client)
    except InvalidInputError as exc:
        print(f"theraloop erase: error: {exc}", file=sys.stderr)
        return 2
    if not report.found:
        print(f"client {report.client_id!r} is not in {args.run}; nothing to erase")
        return 0
    for path in report.deleted:
        print(f"deleted   {path}")
    for path in report.rewritten:
        print(f"rewritten {path}")
    for path in report.scrubbed:
        print(f"scrubbed  {path} (unused index capacity)")
    print(f"client {report.client_id!r} erased from {len(report.runs)} run(s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``theraloop`` command line; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # weight-loading progress bars of transformers/huggingface_hub would interleave the output
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if argv and argv[0] == "chat":
        from theraloop.agent.cli import chat_main

        return int(chat_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "simulate":
        return _simulate(args)
    if args.command == "evaluate":
        return _evaluate(args)
    if args.command == "erase":
        return _erase(args)
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
