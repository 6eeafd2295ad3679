"""Failure signatures: the same root cause in different runs gets the same short hex id.

A signature hashes the exception class, the message with everything run-specific
replaced by placeholders (numbers, hex and uuid ids, paths, URLs, quoted values,
timestamps, e-mail addresses) and the innermost frames of the user's own code from the
stack trace (file and function, not line numbers, which move with unrelated edits).
Frames of the standard library, installed packages and Dagster itself are skipped: they
are the same for every failure and say nothing about which code broke.
"""

from __future__ import annotations

import hashlib
import re

USER_FRAMES = 3

_SUBSTITUTIONS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(regex, flags), placeholder)
    for regex, placeholder, flags in (
        (r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)\]]+", "<url>", re.IGNORECASE),
        (r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b", "<email>", 0),
        (r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", "<uuid>", re.IGNORECASE),
        (
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
            r"|\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
            "<ts>",
            0,
        ),
        (r"(?<![\w.])(?:[A-Za-z]:\\|\\\\|/|~/|\./|\.\./)[^\s'\"<>:,;()\[\]]+", "<path>", 0),
        (r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`", "<q>", 0),
        (r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", "<hex>", re.IGNORECASE),
        (
            # a number, except inside a name like gpt-4o or s3; run-42 and batch_7 are numbers
            r"(?<![A-Za-z\d_-])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?|(?<=[-_])\d+(?:[.,]\d+)*(?![A-Za-z\d])",
            "<n>",
            re.IGNORECASE,
        ),
        (r"\s+", " ", 0),
    )
)

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<func>\S+)', re.MULTILINE)
_LIBRARY = re.compile(
    r"site-packages|dist-packages|/lib/python\d[\d.]*/|\\lib\\|^<|/dagster[^/]*/_|frozen importlib",
    re.IGNORECASE,
)


def normalize_message(message: str) -> str:
    """``Read timed out after 30.5s calling https://x/y?id=7`` → ``Read timed out after <n>s calling <url>``."""
    text = message or ""
    for pattern, placeholder in _SUBSTITUTIONS:
        text = pattern.sub(placeholder, text)
    return text.strip()


def user_frames(stack_trace: str | None, limit: int = USER_FRAMES) -> list[str]:
    """The innermost ``limit`` frames of user code, as ``parent/file.py:function``."""
    if not stack_trace:
        return []
    frames = []
    for match in _FRAME.finditer(stack_trace):
        path = match.group("file").replace("\\", "/")
        if _LIBRARY.search(path):
            continue
        short = "/".join(path.rsplit("/", 2)[-2:])
        frames.append(f"{short}:{match.group('func')}")
    return frames[-limit:]


def signature(error_class: str, message: str, stack_trace: str | None = None) -> str:
    """A 16-hex-digit fingerprint of the failure's root cause."""
    short_class = (error_class or "").rsplit(".", 1)[-1]
    parts = [short_class, normalize_message(message), *user_frames(stack_trace)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
