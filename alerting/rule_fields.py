"""Reading one field of a rule file: each reader raises ``AlertingError("field X: problem")``."""

from __future__ import annotations

from datetime import timedelta

from alerting.durations import parse_duration
from alerting.errors import AlertingError


def text(raw: dict, key: str, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AlertingError(f"field {key}: {'missing' if value is None else 'must be text'}")
    return value.strip()


def number(raw: dict, key: str, required: bool = False) -> float | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise AlertingError(f"field {key}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AlertingError(f"field {key}: {value!r} is not a number")
    return float(value)


def count(raw: dict, key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AlertingError(f"field {key}: {value!r} is not a whole number of evaluations >= 1")
    return value


def choice(raw: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise AlertingError(f"field {key}: {value!r} is not one of {', '.join(choices)}")
    return value


def names(raw: dict, key: str) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AlertingError(f"field {key}: must be a list of names")
    return value


def duration(raw: dict, key: str, default: timedelta) -> timedelta:
    return default if raw.get(key) is None else parse_duration(raw[key], f"field {key}")
