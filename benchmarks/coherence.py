"""Coherence across sessions in a simulation run: what a client notices over several sessions.

Usage:
    .venv/bin/theraloop simulate --profiles depression-maya anxiety-leo --sessions 3 --turns 4 \\
        --therapist-model local --client-model local --judge-model fake --out runs/coherence
    .venv/bin/python benchmarks/coherence.py runs/coherence --record benchmarks/results/X.json

Counts, per client and in all (``theraloop.simulations.coherence``): openings naming an internal
snake_case id, openings asking about homework before any was set, and therapist sentences (six
words or more) said word for word in an earlier session. Targets: 0, 0 and 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _record import Table, add_record_options, write_record  # noqa: E402

from theraloop.simulations.coherence import ClientCoherence, run_coherence  # noqa: E402
from theraloop.simulations.rundata import load_run  # noqa: E402

COLUMNS = (
    "client",
    "sessions",
    "openings",
    "internal ids in openings",
    "homework asked before set",
    "replies",
    "sentences repeated across sessions",
)


def _row(name: str, rows: list[ClientCoherence]) -> tuple[str, ...]:
    return (
        name,
        str(sum(r.sessions for r in rows)),
        str(sum(r.openings for r in rows)),
        str(sum(r.openings_with_internal_labels for r in rows)),
        str(sum(r.homework_asked_before_set for r in rows)),
        str(sum(r.replies for r in rows)),
        str(sum(r.sentences_repeated_across_sessions for r in rows)),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run directory written by `theraloop simulate`")
    add_record_options(parser)
    args = parser.parse_args(argv)
    found = run_coherence(load_run(args.run))
    rows = [_row(c.client_id, [c]) for c in found] + [_row("all", found)]
    print(" | ".join(COLUMNS))
    for row in rows:
        print(" | ".join(row))
    for client in found:
        for text in client.examples:
            print(f"[{client.client_id}] {text}")
    if args.record is not None:
        write_record(
            args.record,
            order=309,
            area="Strategy and perception",
            title="Coherence across sessions, embedded model",
            machine=args.machine,
            notes=(
                "A simulation run read back from its traces "
                "(`theraloop.simulations.coherence`): openings naming an internal snake_case "
                "id, openings asking about homework before any was set, and therapist sentences "
                "of six words or more said word for word in an earlier session. Targets: 0.",
            ),
            tables=(Table(columns=COLUMNS, rows=tuple(rows)),),
        )


if __name__ == "__main__":
    main()
