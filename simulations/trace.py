"""The run's on-disk record: one JSONL trace per client, session markers, and the manifest.

A trace line is one of three records (session start, turn, session end), each self-contained, so a
report can be built from traces alone and an interrupted run can restore every client exactly.
Lines are appended and fsynced one at a time; a line torn by a crash is cut off on the next read.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from theraloop.simulations.moves import Move
from theraloop.simulations.profiles import LifeEvent
from theraloop.simulations.state import (
    ClientAction,
    ClientMemory,
    ClientState,
    Exchange,
    QuestionnaireAnswers,
)

__all__ = [
    "QuestionnaireRecord",
    "SessionStartRecord",
    "TraceTurn",
    "SessionEndRecord",
    "TraceRecord",
    "TraceWriter",
    "read_trace",
    "trace_path",
    "marker_path",
    "completed_sessions",
    "mark_session_done",
    "restore_memory",
    "to_jsonable",
]


class QuestionnaireRecord(BaseModel):
    """PHQ-9 and GAD-7 answers with their totals and severity bands."""

    phq9: list[int]
    gad7: list[int]
    phq9_total: int
    gad7_total: int
    phq9_severity: str
    gad7_severity: str

    @classmethod
    def from_answers(cls, answers: QuestionnaireAnswers) -> QuestionnaireRecord:
        """Score the answers with the instruments' published rules."""
        from theraloop.strategies import score_gad7, score_phq9

        phq, gad = score_phq9(answers.phq9), score_gad7(answers.gad7)
        return cls(
            phq9=list(answers.phq9),
            gad7=list(answers.gad7),
            phq9_total=phq.total,
            gad7_total=gad.total,
            phq9_severity=str(phq.severity),
            gad7_severity=str(gad.severity),
        )

    def answers(self) -> QuestionnaireAnswers:
        """Return the raw item answers."""
        return QuestionnaireAnswers(phq9=tuple(self.phq9), gad7=tuple(self.gad7))


class SessionStartRecord(BaseModel):
    """A session began: questionnaires, the therapist's opening, the client's state after it."""

    type: Literal["session_start"] = "session_start"
    client_id: str
    session: int = Field(ge=1)
    session_id: str
    at: datetime = Field(description="Simulated time.")
    resumed: bool = Field(description="The agent resumed an open session (interrupted run).")
    opening: str
    plan: dict[str, Any] | None = None
    questionnaires: QuestionnaireRecord
    life_event: LifeEvent | None = None
    opening_move: Move
    client_state: ClientState = Field(description="After hearing the opening.")


class TraceTurn(BaseModel):
    """One exchange: what the client said and why, what the therapist answered and why."""

    type: Literal["turn"] = "turn"
    client_id: str
    session: int = Field(ge=1)
    turn: int = Field(ge=1, description="1-based turn within the session.")
    at: datetime = Field(description="Simulated time.")
    client_text: str
    client_action: ClientAction
    revealed_complaint: int | None = None
    risk_statement: bool = False
    client_state: ClientState = Field(description="When the client spoke.")
    therapist: dict[str, Any] = Field(description="The agent's Reply, decision trace included.")
    move: Move = Field(description="The therapist's reply coded as a move.")
    client_state_after: ClientState = Field(description="After the client heard the reply.")
    gap: int = Field(
        default=0, description="Agent turns this record is ahead of the trace (interruptions)."
    )


class SessionEndRecord(BaseModel):
    """A session ended: questionnaires, the agent's review, the client's own summary."""

    type: Literal["session_end"] = "session_end"
    client_id: str
    session: int = Field(ge=1)
    session_id: str
    at: datetime = Field(description="Simulated time.")
    questionnaires: QuestionnaireRecord
    client_state: ClientState
    client_summary: str
    review: dict[str, Any] | None = None
    recovered: bool = Field(
        default=False, description="Written on restart after the agent had already ended it."
    )


TraceRecord = Annotated[
    SessionStartRecord | TraceTurn | SessionEndRecord, Field(discriminator="type")
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(TraceRecord)


def to_jsonable(value: Any) -> Any:
    """Return ``value`` as JSON-ready data (pydantic models, dataclasses, tuples, datetimes)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return to_jsonable(asdict(value))
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def trace_path(run_dir: Path, client_id: str) -> Path:
    """Return where a client's JSONL trace lives in a run directory."""
    return Path(run_dir) / "traces" / f"{client_id}.jsonl"


def marker_path(run_dir: Path, client_id: str, session: int) -> Path:
    """Return the completion marker of one session."""
    return Path(run_dir) / "progress" / client_id / f"session-{session:04d}.done"


def completed_sessions(run_dir: Path, client_id: str) -> list[int]:
    """Return the sessions of a client marked complete, ascending."""
    folder = Path(run_dir) / "progress" / client_id
    if not folder.is_dir():
        return []
    out = []
    for path in folder.glob("session-*.done"):
        try:
            out.append(int(path.stem.split("-", 1)[1]))
        except ValueError:
            continue
    return sorted(out)


def mark_session_done(run_dir: Path, client_id: str, session: int, info: dict[str, Any]) -> None:
    """Write a session's completion marker atomically (after its end record is on disk)."""
    path = marker_path(run_dir, client_id, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_trace(path: Path, *, repair: bool = False) -> list[TraceRecord]:
    """Read a client's trace; a torn last line (crash mid-write) is ignored, or cut if ``repair``.

    Raises:
        ValueError: a line other than the last is not a valid record (the trace is corrupt).
    """
    path = Path(path)
    if not path.is_file():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")  # a complete file ends with a newline: the last piece is empty
    records: list[TraceRecord] = []
    offset = 0
    for i, line in enumerate(lines):
        torn = i == len(lines) - 1  # no newline after it: the write never finished
        if line.strip():
            try:
                records.append(_ADAPTER.validate_json(line))
            except ValueError:
                if not torn:
                    raise ValueError(f"{str(path)!r} line {i + 1} is not a trace record") from None
                if repair:
                    with path.open("r+b") as fh:
                        fh.truncate(offset)
                break
        offset += len(line) + 1
    return records


class TraceWriter:
    """Append records to a client's trace, one fsynced line each (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def append(self, record: BaseModel) -> None:
        """Write one record as a JSON line and force it to disk."""
        line = record.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


def restore_memory(records: Sequence[TraceRecord], upto_session: int | None = None) -> ClientMemory:
    """Rebuild the client's memory from its trace (long term: summaries; short term: last session).

    ``upto_session`` limits the records considered (default: all of them).
    """
    long_term: list[str] = []
    short: list[Exchange] = []
    for rec in _until(records, upto_session):
        if isinstance(rec, SessionEndRecord):
            long_term.append(rec.client_summary)
            short = []
        elif isinstance(rec, SessionStartRecord):
            short = [Exchange(speaker="therapist", text=rec.opening)]
        else:
            short.append(Exchange(speaker="client", text=rec.client_text))
            short.append(Exchange(speaker="therapist", text=str(rec.therapist.get("text", ""))))
    return ClientMemory(short_term=short, long_term=long_term)


def _until(records: Iterable[TraceRecord], session: int | None) -> Iterable[TraceRecord]:
    for rec in records:
        if session is None or rec.session <= session:
            yield rec
