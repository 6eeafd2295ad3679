"""Durations as people write them in rule files and on the command line: ``90s``, ``15m``, ``2h``, ``1d``."""

from __future__ import annotations

import re
from datetime import timedelta

from alerting.errors import AlertingError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: object, what: str = "duration") -> timedelta:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``; a bare number means seconds."""
    if isinstance(text, bool):
        raise AlertingError(f"{what}: {text!r} is not a duration like 15m, 2h or 1d")
    if isinstance(text, (int, float)):
        return timedelta(seconds=float(text))
    raw = str(text).strip().lower()
    parts = _PART.findall(raw)
    if not raw or "".join(n + u for n, u in parts) != raw:
        raise AlertingError(f"{what}: {text!r} is not a duration like 15m, 2h or 1d")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def format_duration(delta: timedelta) -> str:
    """The short form back: ``timedelta(minutes=90)`` → ``1h30m``."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out)
