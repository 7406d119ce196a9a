"""Secrets given to theraloop (API keys in the environment, a password in the checkpoint URL)
never reach traces, records, checkpoints, memory, exports or logs.

A provider error that quotes the key (as some HTTP clients do on a 401) is the realistic leak:
the agent records model errors in the turn trace, so those messages must be redacted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.reliability import _support as s
from theraloop.agent.testing import FailingChatModel, ScriptedChatModel

KEY = "sk-proj-RELIABILITYtestKEY0123456789abcdef"
TOKEN = "hf_SECRETtoken9876543210zyxwvu"
PASSWORD = "hunter2-Zq9-SECRET"


def _leaks(root: Path, needles: tuple[str, ...]) -> list[str]:
    return [
        f"{p}: {n[:12]}..."
        for p in root.rglob("*")
        if p.is_file()
        for n in needles
        if n.encode() in p.read_bytes()
    ]


def _text(value: object) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _leaky_model() -> FailingChatModel:
    """Fails twice with errors quoting credentials, then answers."""
    errors = iter(
        [
            PermissionError(f"Error code: 401 - Incorrect API key provided: {KEY}"),
            ConnectionError(f"POST https://api.example/v1 failed, Authorization: Bearer {TOKEN}"),
        ]
    )
    return FailingChatModel(
        inner=ScriptedChatModel(responses=s.therapist_reply), error=lambda: next(errors), failures=2
    )


def _session(agent) -> None:
    agent.start_session(s.CLIENT)
    agent.therapist_model = _leaky_model()
    for text in s.TURNS[:2]:
        agent.respond(s.CLIENT, text)
    agent.end_session(s.CLIENT)


def test_api_keys_in_the_environment_and_in_provider_errors_are_never_stored_or_logged(
    make_agent, tmp_path, monkeypatch, caplog, capsys
):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    agent = make_agent()
    _session(agent)

    trace = agent.traces(s.CLIENT)[0]
    assert len(trace["errors"]) == 2, "the failures must still be recorded, just redacted"
    assert "401" in trace["errors"][0]
    stored = json.dumps(agent.export_client(s.CLIENT)) + json.dumps(agent.traces(s.CLIENT))
    out = capsys.readouterr()
    for where, text in {
        "export/traces": stored,
        "logs": caplog.text,
        "stdout": out.out,
        "stderr": out.err,
    }.items():
        assert KEY not in text and TOKEN not in text, f"secret found in {where}"
    assert not _leaks(tmp_path / "data", (KEY, TOKEN))


def test_settings_hold_no_secret_fields_and_repr_hides_nothing_sensitive(tmp_path, monkeypatch):
    from theraloop.agent import Settings

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    settings = Settings(data_dir=tmp_path, therapist_model="openai:gpt-4o-mini")
    dumped = json.dumps(settings.model_dump(mode="json")) + repr(settings)
    assert KEY not in dumped


def test_a_password_in_the_checkpoint_url_is_never_written_anywhere(
    postgres_url, tmp_path, hashing, clock
):
    import psycopg

    # trust authentication accepts any password, so the URL can carry one for real
    url = postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    agent = s.build_agent(tmp_path / "data", hashing, clock=clock, checkpoint_url=url)
    try:
        _session(agent)
        assert PASSWORD not in json.dumps(agent.export_client(s.CLIENT))
    finally:
        agent.close()
    assert not _leaks(tmp_path / "data", (PASSWORD, KEY, TOKEN))
    with psycopg.connect(postgres_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        assert {"checkpoints", "store"} <= set(tables)
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            blob = " ".join(_text(v) for row in rows for v in row)
            assert PASSWORD not in blob and KEY not in blob and TOKEN not in blob, table


@pytest.mark.parametrize("secret", [KEY, TOKEN])
def test_redaction_keeps_the_error_useful(make_agent, secret):
    agent = make_agent()
    agent.start_session(s.CLIENT)
    agent.therapist_model = FailingChatModel(
        inner=ScriptedChatModel(responses=s.therapist_reply),
        error=RuntimeError(f"auth failed for key {secret}; check your settings"),
        failures=1,
    )
    agent.respond(s.CLIENT, s.TURNS[0])
    error = agent.traces(s.CLIENT)[0]["errors"][0]
    assert secret not in error and "auth failed" in error and "RuntimeError" in error


def test_a_safety_model_error_quoting_a_key_is_not_stored(make_agent, tmp_path, monkeypatch):
    """With the hashing embedder every turn looks borderline, so the safety LLM is consulted."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    from theraloop.agent import Settings, TherapistAgent

    failing = FailingChatModel(
        inner=ScriptedChatModel(responses=s.supervisor_reply),
        error=lambda: PermissionError(f"401 Incorrect API key provided: {KEY}"),
        failures=-1,
    )
    agent = make_agent(therapist=s.therapist_reply)
    agent.close()
    agent = TherapistAgent.from_settings(
        Settings(data_dir=tmp_path / "data", therapist_model="fake"),
        clock=agent.clock,
        models={
            "therapist": ScriptedChatModel(responses=s.therapist_reply),
            "supervisor": ScriptedChatModel(responses=s.supervisor_reply),
            "safety": failing,
            "perception": failing,
        },
        embedder=agent.embedder,
    )
    try:
        agent.start_session(s.CLIENT)
        agent.respond(s.CLIENT, s.TURNS[0])
        assert failing.attempts > 0, "the safety/perception model was never consulted"
        assert KEY not in json.dumps(agent.export_client(s.CLIENT))
    finally:
        agent.close()
    assert not _leaks(tmp_path / "data", (KEY,))


def test_a_simulation_run_writes_no_secret_into_its_manifest_or_traces(
    tmp_path, monkeypatch, hashing
):
    from theraloop.simulations import RunConfig, builtin_profiles, run_simulation

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    out = tmp_path / "run"
    result = run_simulation(
        RunConfig(sessions=1, turns=2, therapist_model="fake", client_model="fake"),
        out,
        builtin_profiles()[:2],
        embedder=hashing,
        progress=False,
    )
    assert result.ok and (out / "manifest.json").exists()
    assert not _leaks(out, (KEY, TOKEN))
