"""Mask credentials in text before it is stored: provider errors may quote API keys or URLs."""

from __future__ import annotations

import os
import re

__all__ = ["redact"]

_SECRET_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{16,}"), "[REDACTED]"),
    (re.compile(r"\b(?:hf|gh[pousr]|xox[abp])_[A-Za-z0-9_\-]{16,}"), "[REDACTED]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/\-]+=*"), r"\1 [REDACTED]"),
    (
        re.compile(
            r"(?i)\b(api[_-]?key|access[_-]?token|token|secret|password|passwd)"
            r"(\s*[=:]\s*)[^\s,;'\"]+"
        ),
        r"\1\2[REDACTED]",
    ),
    (re.compile(r"://([^/\s:@]+):[^/\s@]+@"), r"://\1:[REDACTED]@"),
)


def redact(text: str) -> str:
    """Mask credentials in ``text`` before it is stored: provider errors may quote API keys.

    Masks the value of every environment variable whose name says it is a secret (``*_KEY``,
    ``*_TOKEN``, ``*SECRET*``, ``*PASSWORD*``), and well-known key shapes (``sk-...``,
    ``hf_...``, ``Bearer ...``, ``password=...``, ``scheme://user:password@``).

    Example:
        >>> redact("401: Incorrect API key provided: sk-abcdefghijklmnopqrstuv")
        '401: Incorrect API key provided: [REDACTED]'
    """
    for name, value in os.environ.items():
        if len(value) >= 8 and _SECRET_ENV_NAME.search(name) and value in text:
            text = text.replace(value, "[REDACTED]")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text
