"""Sandboxed Jinja2 over a step's scope: templates render text, expressions give values.

The scope a step sees: ``input`` (the run's payload), ``steps`` (each earlier step's
output by name; a skipped step is ``none``), ``previous`` (the latest output), ``run``
(``id``, ``job``, ``workflow``), and ``env(name, default)`` for secrets kept out of the
workflow file. The immutable sandbox forbids attribute tricks and mutation, so a workflow
file can never reach Python internals.

A string that is exactly one ``{{ expression }}`` keeps the expression's type (a list
stays a list); any other string is rendered as text.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipelines.errors import JoblensError

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)
STEP_REFERENCE = re.compile(r"\bsteps\.([a-z][a-z0-9_]*)|\bsteps\[['\"]([a-z][a-z0-9_]*)['\"]\]")

# How each kind's fields are evaluated: "text" renders a template, "expression" is a bare
# Jinja expression, "tree" walks dicts/lists rendering every string in them.
FIELD_MODES: dict[str, dict[str, str]] = {
    "http": {"url": "text", "headers": "tree", "params": "tree", "json": "tree", "body": "text"},
    "transform": {"expression": "expression", "output": "expressions"},
    "llm": {"prompt": "text", "system": "text", "input": "tree"},
    "validate": {"value": "expression"},
    "branch": {"condition": "expression"},
    "notify": {"title": "text", "body": "text"},
}


def _env_lookup(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


class _JsonSandbox(ImmutableSandboxedEnvironment):
    """``input.items`` means the payload's ``items`` key, not ``dict.items``: data wins over methods."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = _JsonSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals["env"] = _env_lookup
    env.filters["tojson_compact"] = lambda value: __import__("json").dumps(value, separators=(",", ":"))
    return env


@lru_cache(maxsize=4096)
def _compiled_template(source: str):
    return environment().from_string(source)


@lru_cache(maxsize=4096)
def _compiled_expression(source: str):
    return environment().compile_expression(source, undefined_to_none=False)


def render_text(source: str, scope: dict) -> str:
    return _compiled_template(source).render(scope)


def evaluate(source: str, scope: dict) -> Any:
    """The value of a bare expression, e.g. ``steps.classify.label == 'urgent'``; a missing field raises."""
    return _defined(_compiled_expression(source)(**scope))


def _defined(value: Any) -> Any:
    """``value`` with no undefined part: ``input.missing`` fails here rather than as a silent None."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, dict):
        for item in value.values():
            _defined(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _defined(item)
    return value


def render_value(value: Any, scope: dict) -> Any:
    """Strings rendered (``{{ x }}`` alone keeps x's type), containers walked, others as is."""
    if isinstance(value, str):
        whole = _WHOLE_EXPRESSION.match(value)
        if whole and "{{" not in whole.group("expr") and "{%" not in value:
            return evaluate(whole.group("expr"), scope)
        return render_text(value, scope) if ("{{" in value or "{%" in value) else value
    if isinstance(value, dict):
        return {k: render_value(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, scope) for v in value]
    return value


def resolve(kind: str, name: str, value: Any, scope: dict) -> Any:
    """A step setting as its kind evaluates it at run time."""
    mode = FIELD_MODES.get(kind, {}).get(name)
    if mode == "expression":
        return evaluate(value, scope)
    if mode == "expressions":
        return {k: evaluate(v, scope) for k, v in value.items()}
    if mode in ("text", "tree"):
        return render_value(value, scope)
    return value


def check_templates(kind: str, settings: dict, where: str) -> None:
    """Compile every template and expression of a step; a syntax error names its field."""
    for name, mode in FIELD_MODES.get(kind, {}).items():
        if name in settings:
            try:
                _check(settings[name], mode)
            except TemplateError as exc:
                raise JoblensError(f"{where}: field '{name}': template error: {exc.message or exc}") from None


def _check(value: Any, mode: str) -> None:
    if mode == "expression":
        _compiled_expression(value)
    elif mode == "expressions":
        for item in value.values():
            _compiled_expression(item)
    elif isinstance(value, str):
        whole = _WHOLE_EXPRESSION.match(value)
        if whole and "{{" not in whole.group("expr"):
            _compiled_expression(whole.group("expr"))
        _compiled_template(value)
    elif isinstance(value, dict):
        for item in value.values():
            _check(item, mode)
    elif isinstance(value, list):
        for item in value:
            _check(item, mode)


def referenced_steps(value: Any) -> set[str]:
    """Names used as ``steps.<name>`` anywhere in a setting."""
    if isinstance(value, str):
        return {a or b for a, b in STEP_REFERENCE.findall(value)}
    if isinstance(value, dict):
        return set().union(*(referenced_steps(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(referenced_steps(v) for v in value)) if value else set()
    return set()
