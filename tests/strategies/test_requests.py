from __future__ import annotations

import pytest

from theraloop.strategies import CLIENT_REQUESTS, detect_request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What should I do about my flatmate?", "advice"),
        ("Do you have any tips for sleeping better?", "advice"),
        ("How can I cope with the panic before exams?", "advice"),
        ("Should I tell her how I feel?", "advice"),
        ("Is it normal to still cry a year later?", "information"),
        ("Are there any support groups for carers?", "information"),
        ("Where can I find a cheap counsellor?", "information"),
        ("Thank you so much for listening.", "thanks"),
        ("Thanks, bye!", "thanks"),
        ("Okay, take care.", "thanks"),
        ("I feel terrible about it.", "none"),
        ("My sister moved out last week.", "none"),
        ("", "none"),
    ],
)
def test_request_is_detected_from_the_clients_wording(text, expected):
    assert detect_request(text) == expected


def test_a_question_after_thanks_is_still_a_request_for_advice():
    assert detect_request("Thanks. What should I do if he calls again?") == "advice"


def test_request_labels_are_a_closed_set():
    assert set(CLIENT_REQUESTS) == {"none", "advice", "information", "thanks"}
