"""The error taxonomy: every failure gets one of twelve documented codes.

Classification is an ordered table of rules (exception class and/or message regex →
code); the first rule that matches wins. Users put their own rules in front of the
built-in ones with a YAML file named by ``$JOBLENS_ERROR_RULES`` (or the telemetry
resource's ``error_rules``)::

    rules:
      - code: rate_limit
        class: mylib.QuotaExceeded      # optional: class name, qualified or not
        message: "quota .* exhausted"   # optional: regex, searched case-insensitively

A class rule matches the exception's class or any of its bases, by short or qualified
name, so ``TimeoutError`` also catches ``asyncio.TimeoutError`` subclasses.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.errors import JoblensError
from pipelines.telemetry.error_codes import ERROR_CODES, ErrorCode
from pipelines.telemetry.error_rules import BUILTIN_RULES

RULES_ENV = "JOBLENS_ERROR_RULES"


@dataclass(frozen=True)
class Rule:
    """One row of the classification table."""

    code: str
    error_class: str | None = None
    message: re.Pattern | None = None

    def matches(self, class_names: tuple[str, ...], message: str) -> bool:
        if self.error_class is not None and self.error_class not in class_names:
            return False
        return self.message is None or self.message.search(message) is not None


def _rule(code: str, error_class: str | None = None, message: str | None = None) -> Rule:
    return Rule(code, error_class, re.compile(message, re.IGNORECASE) if message else None)


def load_rules(path: str | os.PathLike[str]) -> list[Rule]:
    """Rules from a YAML file; anything malformed is a JoblensError naming file and field."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise JoblensError(f"{path}: cannot read error rules: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise JoblensError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise JoblensError(f"{path}: field 'rules' must be a list of rules")
    unknown = set(raw) - {"rules"}
    if unknown:
        raise JoblensError(f"{path}: unknown field {sorted(unknown)[0]!r} (expected 'rules')")
    return [_parse_rule(path, index, item) for index, item in enumerate(raw["rules"])]


def _parse_rule(path: Path, index: int, item: object) -> Rule:
    where = f"{path}: rules[{index}]"
    if not isinstance(item, dict):
        raise JoblensError(f"{where}: must be a mapping with 'code' and 'class' and/or 'message'")
    unknown = set(item) - {"code", "class", "message"}
    if unknown:
        raise JoblensError(f"{where}.{sorted(unknown)[0]}: unknown field (expected code, class, message)")
    code = item.get("code")
    if code not in ERROR_CODES:
        raise JoblensError(f"{where}.code: unknown error code {code!r}; codes are: {', '.join(ERROR_CODES)}")
    error_class, message = item.get("class"), item.get("message")
    if error_class is None and message is None:
        raise JoblensError(f"{where}: needs 'class' or 'message'")
    for name, value in (("class", error_class), ("message", message)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise JoblensError(f"{where}.{name}: must be a non-empty string")
    try:
        return _rule(code, error_class, message)
    except re.error as exc:
        raise JoblensError(f"{where}.message: invalid regular expression {message!r}: {exc}") from None


def class_names(error_class: str) -> tuple[str, ...]:
    """``httpx.ReadTimeout`` → (``httpx.ReadTimeout``, ``ReadTimeout``)."""
    short = error_class.rsplit(".", 1)[-1]
    return (error_class, short) if short != error_class else (error_class,)


def qualified_name(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


class Classifier:
    """An ordered rule table: user rules first, then the built-in ones."""

    def __init__(self, user_rules: list[Rule] | None = None):
        self.rules = list(user_rules or []) + [_rule(*row) for row in BUILTIN_RULES]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None) -> "Classifier":
        return cls(load_rules(path) if path else None)

    def classify(self, error_class: str, message: str) -> ErrorCode:
        return self._first(class_names(error_class or ""), message or "") or ERROR_CODES["unknown"]

    def classify_exception(self, exc: BaseException) -> ErrorCode:
        """By the class hierarchy and message; an unmatched wrapper defers to its cause."""
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            names = tuple(n for cls in type(current).__mro__ for n in class_names(qualified_name(cls)))
            found = self._first(names, str(current))
            if found is not None:
                return found
            current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        return ERROR_CODES["unknown"]

    def _first(self, names: tuple[str, ...], message: str) -> ErrorCode | None:
        for rule in self.rules:
            if rule.matches(names, message):
                return ERROR_CODES[rule.code]
        return None


_cache: dict[tuple[str, float], Classifier] = {}


def default_classifier() -> Classifier:
    """Built-in rules plus ``$JOBLENS_ERROR_RULES`` (read at call time, re-read when it changes)."""
    path = os.environ.get(RULES_ENV) or ""
    try:
        stamp = os.stat(path).st_mtime if path else 0.0
    except OSError:
        raise JoblensError(f"{RULES_ENV}={path}: file not found") from None
    key = (path, stamp)
    if key not in _cache:
        _cache.clear()
        _cache[key] = Classifier.from_file(path or None)
    return _cache[key]


def classify(error_class: str, message: str) -> ErrorCode:
    """The error code of a failure known by class name and message."""
    return default_classifier().classify(error_class, message)


def classify_exception(exc: BaseException) -> ErrorCode:
    """The error code of a live exception (its class hierarchy and causes count too)."""
    return default_classifier().classify_exception(exc)


def error_codes_table() -> pa.Table:
    """The reference table of codes (``ref_error_codes`` in the warehouse)."""
    codes = list(ERROR_CODES.values())
    return pa.table(
        {
            "code": pa.array([c.code for c in codes], pa.string()),
            "title": pa.array([c.title for c in codes], pa.string()),
            "transient": pa.array([c.transient for c in codes], pa.bool_()),
            "remediation": pa.array([c.remediation for c in codes], pa.string()),
            "doc_url": pa.array([c.doc_url for c in codes], pa.string()),
        }
    )


__all__ = [
    "ERROR_CODES", "Classifier", "ErrorCode", "Rule", "classify", "classify_exception",
    "default_classifier", "error_codes_table", "load_rules",
]
