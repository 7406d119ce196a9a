"""``theraloop chat``: a person's terminal session on the configured model."""

from __future__ import annotations

import io

from theraloop.agent.cli import chat_main


def _chat(tmp_path, lines: str) -> str:
    out = io.StringIO()
    code = chat_main(
        ["--client", "alice", "--data-dir", str(tmp_path), "--model", "fake"],
        stdin=io.StringIO(lines),
        stdout=out,
    )
    assert code == 0
    return out.getvalue()


def test_chat_streams_replies_and_end_closes_the_session_with_a_review(tmp_path):
    text = _chat(tmp_path, "I can't sleep since the move.\n/end\n")
    assert "(session 1)" in text
    assert text.count("therapist> ") == 2  # the opening and one reply
    assert "(session closed: keep" in text


def test_quit_leaves_the_session_open_and_the_next_chat_resumes_it(tmp_path):
    _chat(tmp_path, "I can't sleep since the move.\n/quit\n")
    text = _chat(tmp_path, "/end\n")
    assert "(session 1, resumed)" in text
    assert "(session closed:" in text


def test_a_piped_client_line_is_echoed_so_the_transcript_reads_as_a_dialogue(tmp_path):
    text = _chat(tmp_path, "I slept badly again\n/end\n")
    assert "you> I slept badly again\n" in text
    assert "you> /end\n" in text
