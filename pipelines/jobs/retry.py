"""Retry profiles and intelligent step retries: only transient error codes are retried.

A profile is max retries, a base delay, an exponential backoff factor, a jitter fraction
and a maximum delay. The wait before retry ``n`` (1-based) is
``min(max_delay, base * backoff**(n-1))`` scaled by a jitter factor in
``[1 - jitter, 1 + jitter]``. The jitter is seeded by the run, step and attempt, so a
replayed attempt computes the same wait and the record stays reproducible.

Profiles come from the built-in table below, from a YAML file named by
``$JOBLENS_RETRY_PROFILES`` (``profiles: {name: {max_retries: …}}``, read at call
time), or inline in a workflow file.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from pipelines.errors import JoblensError

PROFILES_ENV = "JOBLENS_RETRY_PROFILES"


@dataclass(frozen=True)
class RetryProfile:
    """How often and how patiently a failing step is retried."""

    name: str = "default"
    max_retries: int = 3
    base_delay_s: float = 2.0
    backoff: float = 2.0
    jitter: float = 0.2
    max_delay_s: float = 60.0

    def delay_s(self, retry_number: int, key: str = "") -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry)."""
        raw = min(self.max_delay_s, self.base_delay_s * self.backoff ** max(retry_number - 1, 0))
        spread = random.Random(f"{key}:{retry_number}").uniform(-self.jitter, self.jitter)
        return round(min(self.max_delay_s, max(0.0, raw * (1.0 + spread))), 3)


BUILTIN_PROFILES: dict[str, RetryProfile] = {
    "none": RetryProfile(name="none", max_retries=0),
    "default": RetryProfile(),
    "fast": RetryProfile(name="fast", max_retries=3, base_delay_s=0.5, max_delay_s=5.0),
    "patient": RetryProfile(name="patient", max_retries=6, base_delay_s=10.0, max_delay_s=600.0),
}

_NUMBERS = {"base_delay_s", "backoff", "jitter", "max_delay_s"}
_FIELDS = {f.name for f in fields(RetryProfile)} - {"name"}


def parse_profile(raw: Mapping[str, Any], name: str, where: str) -> RetryProfile:
    """A profile from a mapping; a bad field is one JoblensError naming ``where`` and the field."""
    if not isinstance(raw, Mapping):
        raise JoblensError(f"{where}: a retry profile must be a mapping of {', '.join(sorted(_FIELDS))}")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise JoblensError(f"{where}.{sorted(unknown)[0]}: unknown retry field (expected {', '.join(sorted(_FIELDS))})")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        ok_type = (int, float) if key in _NUMBERS else int
        if isinstance(value, bool) or not isinstance(value, ok_type) or value < 0:
            raise JoblensError(f"{where}.{key}: must be a non-negative {'number' if key in _NUMBERS else 'integer'}, got {value!r}")
        values[key] = float(value) if key in _NUMBERS else value
    if values.get("jitter", 0.0) >= 1.0:
        raise JoblensError(f"{where}.jitter: must be below 1 (a fraction of the delay), got {values['jitter']!r}")
    return RetryProfile(name=name, **values)


def profiles() -> dict[str, RetryProfile]:
    """Built-in profiles, overridden and extended by ``$JOBLENS_RETRY_PROFILES``."""
    table = dict(BUILTIN_PROFILES)
    path = os.environ.get(PROFILES_ENV)
    if path:
        table.update(_load_file(Path(path)))
    return table


def _load_file(path: Path) -> dict[str, RetryProfile]:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise JoblensError(f"{path}: cannot read retry profiles: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise JoblensError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    table = raw.get("profiles") if isinstance(raw, dict) else None
    if not isinstance(table, dict):
        raise JoblensError(f"{path}: field 'profiles' must map profile names to settings")
    return {name: parse_profile(body, str(name), f"{path}: profiles.{name}") for name, body in table.items()}


def resolve_profile(value: str | Mapping[str, Any] | None, where: str) -> RetryProfile:
    """A profile by name, or inline settings layered on the default profile."""
    if value is None:
        return BUILTIN_PROFILES["default"]
    if isinstance(value, str):
        table = profiles()
        if value not in table:
            raise JoblensError(f"{where}: unknown retry profile {value!r}; profiles are: {', '.join(table)}")
        return table[value]
    inline = parse_profile(value, "inline", where)
    base = BUILTIN_PROFILES["default"]
    merged = {f: getattr(inline, f) if f in value else getattr(base, f) for f in _FIELDS}
    return RetryProfile(name="inline", **merged)


@dataclass(frozen=True)
class RetryDecision:
    """What to do about one failed attempt: retry after ``wait_s``, or fail with ``code``."""

    code: Any  # the taxonomy's ErrorCode
    attempt: int  # the attempt that failed, 1-based
    retry: bool
    wait_s: float
    reason: str  # "transient", "retries exhausted", "not retried"


def decide(exc: BaseException, profile: RetryProfile, retry_number: int, key: str, code=None) -> RetryDecision:
    """Retry only a transient error code, and only while the profile has retries left.

    ``retry_number`` is Dagster's ``context.retry_number`` (0 on the first attempt);
    ``key`` seeds the jitter (run id and step key); ``code`` is the taxonomy's
    ``ErrorCode`` when the caller already classified the error (e.g. ``t.record_error``).
    """
    from pipelines.telemetry.taxonomy import classify_exception

    code = code or classify_exception(exc)
    attempt = retry_number + 1
    if code.transient and retry_number < profile.max_retries:
        return RetryDecision(code, attempt, True, profile.delay_s(retry_number + 1, key), "transient")
    reason = "retries exhausted" if code.transient and profile.max_retries else "not retried"
    return RetryDecision(code, attempt, False, 0.0, reason)


def raise_decision(decision: RetryDecision, exc: BaseException, profile: RetryProfile):
    """``RetryRequested`` with the profile's wait, or a ``Failure`` carrying the error code."""
    import dagster as dg

    if decision.retry:
        raise dg.RetryRequested(max_retries=profile.max_retries, seconds_to_wait=decision.wait_s) from exc
    code = decision.code
    raise dg.Failure(
        description=f"{code.code}: {type(exc).__name__}: {_first_line(exc)} ({decision.reason} after attempt {decision.attempt})",
        metadata={
            "joblens/error_code": code.code,
            "joblens/transient": code.transient,
            "joblens/attempt": decision.attempt,
            "joblens/retry_profile": profile.name,
            "remediation": code.remediation,
        },
    ) from exc


def retry_or_fail(exc: BaseException, profile: RetryProfile, retry_number: int, key: str, code=None):
    """Raise ``RetryRequested`` for a transient error with retries left, else ``Failure`` with its code."""
    raise_decision(decide(exc, profile, retry_number, key, code), exc, profile)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""
