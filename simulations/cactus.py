"""Turn Cactus intake forms into client profiles at run time.

Cactus (Lee et al., EMNLP Findings 2024) ships 90 intake forms, each with three client attitudes,
and the CBT technique experts chose for it. The data is GPL-2.0: theraloop reads it from the
path the user gives (by default ``<repo>/../shared/data/cactus/cactus_dev.json``) and never copies
it into the package. Cactus clients are CBT cases, so their profiles respond to CBT.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from theraloop.memory.errors import InvalidInputError
from theraloop.simulations.profiles import Attitude, ClientEmotion, ClientProfile, StageOfChange

__all__ = ["default_cactus_path", "parse_cactus_spec", "load_cactus", "cactus_profile"]

_ATTITUDE_STAGE: dict[str, tuple[StageOfChange, int]] = {
    "positive": ("preparation", 4),
    "neutral": ("contemplation", 3),
    "negative": ("precontemplation", 2),
}
_EMOTION_WORDS: tuple[tuple[str, ClientEmotion], ...] = (
    (r"anxi|worr|nervous|panic|fear", "anxiety"),
    (r"incompeten|inadequa|worth|failure|fail|embarrass|ashamed", "shame"),
    (r"guilt", "guilt"),
    (r"lonel|isolat", "loneliness"),
    (r"angry|anger|frustrat|irritat", "frustration"),
    (r"hopeless", "hopelessness"),
    (r"overwhelm|stress", "overwhelm"),
)
_NO_IMPACT = re.compile(r"\bnot (been )?(impacted|affected|experienced)|\bno (strain|impact)", re.I)


def default_cactus_path(repo_root: Path | None = None) -> Path:
    """Return where the Cactus development file sits: beside the repository, never inside it."""
    root = repo_root or Path(__file__).resolve().parent.parent
    return (root / ".." / "shared" / "data" / "cactus" / "cactus_dev.json").resolve()


def parse_cactus_spec(spec: str, *, repo_root: Path | None = None) -> tuple[Path, int | None]:
    """Split ``cactus:PATH[:N]`` into the file path and the number of forms to load.

    ``cactus``, ``cactus:`` and ``cactus::N`` use :func:`default_cactus_path`.

    Raises:
        InvalidInputError: ``N`` is not a positive integer.
    """
    rest = spec[len("cactus") :].removeprefix(":")
    limit: int | None = None
    head, sep, tail = rest.rpartition(":")
    if sep and (tail.isdigit() or tail.startswith("-")):
        rest = head
        try:
            limit = int(tail)
        except ValueError:
            limit = -1
        if limit < 1:
            raise InvalidInputError(f"cactus count in {spec!r} must be a positive integer")
    elif rest.isdigit():
        limit, rest = int(rest), ""
    path = Path(rest).expanduser() if rest else default_cactus_path(repo_root)
    return path, limit


def load_cactus(path: str | Path, *, limit: int | None = None) -> list[ClientProfile]:
    """Load the first ``limit`` Cactus entries (all when ``None``) as client profiles.

    Raises:
        InvalidInputError: the file is missing or not Cactus-shaped; the message says where the
            data is expected.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(
            f"Cactus file {str(path)!r} does not exist; pass cactus:PATH[:N] with the path to "
            "cactus_dev.json (expected at <repo>/../shared/data/cactus/)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read Cactus file {str(path)!r}: {exc}") from exc
    if not isinstance(data, list):
        raise InvalidInputError(f"Cactus file {str(path)!r} should hold a JSON list of entries")
    entries = data if limit is None else data[:limit]
    return [cactus_profile(entry, index=i) for i, entry in enumerate(entries)]


def _sections(form: str) -> tuple[dict[str, str], dict[int, list[str]]]:
    header: dict[str, str] = {}
    sections: dict[int, list[str]] = {}
    lines = [ln.strip() for ln in form.splitlines()]
    current: int | None = None
    pending_key: str | None = None
    for line in lines:
        match = re.match(r"^(\d)\.\s*(.*)$", line)
        if match:
            current = int(match.group(1))
            sections[current] = []
            remainder = match.group(2)
            if ":" in remainder:  # "5. Academic/occupational functioning level: text"
                sections[current].append(remainder)
            continue
        if not line:
            continue
        if current is None:
            if pending_key is not None:
                header[pending_key] = line
                pending_key = None
            elif line.endswith(":"):
                pending_key = line[:-1].strip().lower()
            elif ":" in line:
                key, value = line.split(":", 1)
                header[key.strip().lower()] = value.strip()
        else:
            sections[current].append(line)
    return header, sections


def _strip_label(line: str) -> str:
    match = re.match(r"^[A-Z][\w/ ]{2,40}:\s*(.+)$", line)
    return match.group(1) if match else line


def _emotion(text: str) -> ClientEmotion:
    for pattern, emotion in _EMOTION_WORDS:
        if re.search(pattern, text, re.I):
            return emotion
    return "sadness"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:20] or "client"


def _int(text: str, default: int) -> int:
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match else default


def cactus_profile(entry: dict[str, Any], *, index: int) -> ClientProfile:
    """Convert one Cactus entry (an intake form with an attitude) into a client profile.

    Raises:
        InvalidInputError: the entry lacks the ``AI_client.intake_form`` Cactus fields.
    """
    try:
        client = entry["AI_client"]
        form: str = client["intake_form"]
        attitude: Attitude = client["attitude"]
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"Cactus entry {index} lacks AI_client.intake_form/attitude ({exc!r})"
        ) from exc
    header, sections = _sections(form)
    name = header.get("name") or f"Client {index}"
    problem_lines = sections.get(2, []) or [form[:200]]
    first = problem_lines[0]
    first_sentence = re.split(r"(?<=[.!?])\s+", first)[0].rstrip(".")
    impacts = [_strip_label(ln) for ln in sections.get(5, []) if not _NO_IMPACT.search(ln)]
    chain = [first, *problem_lines[3:6], *impacts]
    complaints = [
        {"text": text, "emotion": _emotion(text)} for text in dict.fromkeys(chain) if text
    ]
    stage, receptivity = _ATTITUDE_STAGE.get(attitude, ("contemplation", 3))
    thought = re.search(r"thought that (.+?)(,|\.|$)", first_sentence)
    gist = f"the thought that {thought.group(1)}" if thought else "these thoughts"
    digest = int(hashlib.sha256(form.encode()).hexdigest()[:8], 16)
    techniques = entry.get("ground_truth_CBT") or []
    counselor = (entry.get("AI_counselor") or {}).get("CBT") or {}
    opening = counselor.get("init_history_client") or None
    support = " ".join(sections.get(6, []))
    data = {
        "id": f"cactus-{index:03d}-{_slug(name.split()[0])}-{attitude}",
        "name": name,
        "demographics": {
            "age": min(max(_int(header.get("age", ""), 35), 12), 110),
            "gender": header.get("gender") or "unspecified",
            "occupation": header.get("occupation", ""),
            "relationship": header.get("marital status", ""),
            "living": header.get("family details", ""),
        },
        "presenting_problem": " ".join(problem_lines[:2]),
        "problem_gist": gist,
        "history": " ".join(sections.get(4, [])),
        "intake_form": form,
        "core_beliefs": [first_sentence],
        "cognitive_distortions": [],
        "attitude": attitude,
        "stage_of_change": stage,
        "receptivity": receptivity,
        "goals": ["feel like myself again", "stop these thoughts running my days"],
        "barriers": [
            problem_lines[5] if len(problem_lines) > 5 else "nothing I try seems to stick"
        ],
        "change_steps": ["write the thought down and look at the evidence for it"],
        "risk": {"baseline": "none", "protective_factors": [support] if support else []},
        "responds_to": ["cbt"],
        "complaints": complaints,
        "primary_emotion": _emotion(first),
        "baseline": {"phq9": 7 + digest % 8, "gad7": 6 + (digest >> 4) % 8},
        "style": str(client.get("attitude_instruction") or ""),
        "opening_line": opening,
        "tags": ["cactus", attitude],
        "source": "cactus",
        "metadata": {"cactus_index": str(index), "ground_truth_cbt": "; ".join(techniques)},
    }
    return ClientProfile.model_validate(data)
