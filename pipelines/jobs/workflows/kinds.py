"""The step kinds and the settings each accepts: the one table the loader checks against."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from pipelines.errors import JoblensError
from pipelines.jobs.workflows import templating

COMMON_FIELDS = {"name", "kind", "description", "retry"}


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(_is_str(x) for x in v)


def _is_map(v: Any) -> bool:
    return isinstance(v, dict)


def _is_positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _one_of(*choices: str) -> Callable[[Any], bool]:
    check = lambda v: v in choices  # noqa: E731
    check.__doc__ = f"one of {', '.join(choices)}"
    return check


def _status_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, int) and 100 <= x <= 599 for x in v)


def _any(v: Any) -> bool:
    return True


_DESCRIBE = {
    _is_str: "a non-empty string",
    _is_str_list: "a non-empty list of strings",
    _is_map: "a mapping",
    _is_positive: "a positive number",
    _is_count: "a positive integer",
    _status_list: "a list of HTTP status codes",
    _any: "any value",
}

# kind -> field -> (check, required)
KINDS: dict[str, dict[str, tuple[Callable[[Any], bool], bool]]] = {
    "http": {
        "url": (_is_str, True),
        "method": (_one_of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"), False),
        "headers": (_is_map, False),
        "params": (_is_map, False),
        "json": (_any, False),
        "body": (_is_str, False),
        "timeout_s": (_is_positive, False),
        "expect_status": (_status_list, False),
    },
    "transform": {"expression": (_is_str, False), "output": (_is_map, False)},
    "llm": {
        "operation": (_one_of("chat", "embedding"), False),
        "task": (_one_of("summarize", "classify", "reply"), False),
        "provider": (_one_of("local", "openai"), False),
        "model": (_is_str, False),
        "base_url": (_is_str, False),
        "api_key_env": (_is_str, False),
        "system": (_is_str, False),
        "prompt": (_is_str, False),
        "input": (_any, False),
        "labels": (_is_str_list, False),
        "keywords": (_is_map, False),
        "sentences": (_is_count, False),
        "max_tokens": (_is_count, False),
        "temperature": (lambda v: isinstance(v, (int, float)) and 0 <= v <= 2, False),
        "response": (_one_of("text", "json"), False),
        "timeout_s": (_is_positive, False),
    },
    "validate": {"schema": (_is_map, True), "value": (_is_str, False)},
    "branch": {"condition": (_is_str, True), "skip": (_is_str_list, False)},
    "notify": {
        "route": (_is_str, False),
        "title": (_is_str, True),
        "body": (_is_str, False),
        "severity": (_one_of("info", "warning", "critical"), False),
    },
}


def check_settings(kind: str, settings: dict, where: str) -> None:
    """Unknown, missing or mistyped settings of one step → one error naming the field."""
    table = KINDS[kind]
    for name in settings:
        if name not in table:
            allowed = ", ".join(sorted(set(table) | COMMON_FIELDS))
            raise JoblensError(f"{where}: field '{name}': not a setting of a {kind} step (allowed: {allowed})")
    for name, (check, required) in table.items():
        if name not in settings:
            if required:
                raise JoblensError(f"{where}: field '{name}': required for a {kind} step")
            continue
        if not check(settings[name]):
            expected = _DESCRIBE.get(check) or check.__doc__ or "a valid value"
            raise JoblensError(f"{where}: field '{name}': must be {expected}, got {settings[name]!r}")
    _check_kind_rules(kind, settings, where)


def _check_kind_rules(kind: str, settings: dict, where: str) -> None:
    if kind == "http" and "json" in settings and "body" in settings:
        raise JoblensError(f"{where}: field 'body': an http step sends either json or body, not both")
    if kind == "transform" and ("expression" in settings) == ("output" in settings):
        raise JoblensError(f"{where}: field 'expression': a transform step needs exactly one of expression, output")
    if kind == "transform" and "output" in settings and not all(_is_str(v) for v in settings["output"].values()):
        raise JoblensError(f"{where}: field 'output': every value must be an expression string")
    if kind == "llm" and settings.get("task") == "classify" and "labels" not in settings:
        raise JoblensError(f"{where}: field 'labels': required for task classify")
    if kind == "llm" and "prompt" not in settings and "input" not in settings:
        raise JoblensError(f"{where}: field 'prompt': an llm step needs a prompt (chat) or input (embedding)")
    if kind == "validate":
        import jsonschema

        try:
            jsonschema.Draft202012Validator.check_schema(settings["schema"])
        except jsonschema.SchemaError as exc:
            raise JoblensError(f"{where}: field 'schema': invalid JSON schema: {exc.message}") from None


def check_references(steps: list, path: Path) -> None:
    """``steps.<name>`` must name an earlier step; a branch may only skip later steps."""
    for index, step in enumerate(steps):
        where = f"{path}: step {step.name!r} (steps[{index}])"
        earlier = {s.name for s in steps[:index]}
        for field, value in step.settings.items():
            unknown = templating.referenced_steps(value) - earlier
            if unknown:
                raise JoblensError(f"{where}: field '{field}': refers to step {sorted(unknown)[0]!r}, which is not an earlier step")
        later = {s.name for s in steps[index + 1 :]}
        for name in step.settings.get("skip", []) if step.kind == "branch" else []:
            if name not in later:
                raise JoblensError(f"{where}: field 'skip': {name!r} is not a later step of this workflow")
