"""The workflow file format: parse a YAML file into a checked ``WorkflowSpec``.

Every problem is one ``JoblensError`` naming the file, the step and the field, e.g.
``data/workflows/triage.yaml: step 'classify' (steps[2]): field 'labels': must be a list``.
Templates and expressions are compiled here, so a typo fails at load, not mid-run.

A workflow file::

    name: support_ticket_triage        # the Dagster job is workflow__<name>
    description: …                     # shown in the Dagster UI
    team: support                      # joblens/team tag
    priority: 5                        # dagster/priority, -100..100
    retry: default                     # a profile name (none, default, fast, patient, or
                                       # $JOBLENS_RETRY_PROFILES) or inline settings
    schedule: {cron: "0 6 * * *", timezone: UTC, input: {…}}   # optional
    inputs: {JSON schema of the payload}
    example: {…}                       # optional; the launchpad's default payload
    tags: {key: value}                 # optional extra run tags
    steps:                             # in order; each has name, kind, description, retry
      - {name: fetch, kind: http, url: "…{{ input.id }}", method: GET, headers: {}, params: {},
         json: {}, body: "", timeout_s: 30, expect_status: [200]}
      - {name: shape, kind: transform, expression: "steps.fetch.json.items | length"}
      - {name: shape2, kind: transform, output: {key: expression, …}}
      - {name: label, kind: llm, task: classify|summarize|reply, operation: chat|embedding,
         provider: local|openai, model, base_url, api_key_env, system, prompt, input,
         labels, keywords, sentences, max_tokens, temperature, response: text|json, timeout_s}
      - {name: check, kind: validate, value: "expression (default: previous output)", schema: {…}}
      - {name: gate, kind: branch, condition: "expression", skip: [later steps; default all]}
      - {name: tell, kind: notify, route: ops, severity: info|warning|critical, title, body}

Templates (``{{ … }}``) and expressions see ``input``, ``steps.<earlier step>``,
``previous``, ``run`` and ``env(name, default)``; see ``templating``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import JoblensError
from pipelines.jobs.retry import RetryProfile, resolve_profile
from pipelines.jobs.workflows import kinds, templating

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TOP_FIELDS = {"name", "description", "team", "priority", "retry", "schedule", "inputs", "example", "steps", "tags"}


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str = "UTC"
    input: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StepSpec:
    """One step: its name, kind, the kind's settings and an optional retry override."""

    name: str
    kind: str
    settings: dict
    description: str = ""
    retry: RetryProfile | None = None


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow file, checked: becomes the Dagster job ``workflow__<name>``."""

    name: str
    description: str
    team: str
    priority: int
    retry: RetryProfile
    inputs: dict
    steps: tuple[StepSpec, ...]
    path: Path
    schedule: Schedule | None = None
    example: dict | None = None
    tags: dict = field(default_factory=dict)

    @property
    def job_name(self) -> str:
        return f"workflow__{self.name}"

    def step(self, name: str) -> StepSpec:
        return next(s for s in self.steps if s.name == name)


def load_spec(path: Path) -> WorkflowSpec:
    """Read and check one workflow file."""
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise JoblensError(f"{path}: cannot read workflow file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise JoblensError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    return parse_spec(raw, Path(path))


def parse_spec(raw: Any, path: Path) -> WorkflowSpec:
    if not isinstance(raw, dict):
        raise JoblensError(f"{path}: a workflow file must be a mapping with name, team and steps")
    unknown = set(raw) - TOP_FIELDS
    if unknown:
        raise JoblensError(f"{path}: field '{sorted(unknown)[0]}': unknown (expected {', '.join(sorted(TOP_FIELDS))})")
    name = _name(raw.get("name"), f"{path}: field 'name'")
    inputs = _input_schema(raw.get("inputs", {"type": "object"}), path)
    steps = _steps(raw.get("steps"), path)
    schedule = _schedule(raw.get("schedule"), path, inputs)
    example = raw.get("example")
    if example is not None:
        _check_payload(inputs, example, f"{path}: field 'example'")
    return WorkflowSpec(
        name=name,
        description=_text(raw, "description", path, default=f"Workflow {name}."),
        team=_text(raw, "team", path, required=True),
        priority=_priority(raw.get("priority", 0), path),
        retry=resolve_profile(raw.get("retry"), f"{path}: field 'retry'"),
        inputs=inputs,
        steps=steps,
        path=path,
        schedule=schedule,
        example=example,
        tags=_tags(raw.get("tags", {}), path),
    )


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise JoblensError(f"{where}: must be lowercase letters, digits and _, starting with a letter; got {value!r}")
    return value


def _text(raw: dict, key: str, path: Path, required: bool = False, default: str = "") -> str:
    value = raw.get(key)
    if value is None and not required:
        return default
    if not isinstance(value, str) or not value.strip():
        raise JoblensError(f"{path}: field '{key}': must be a non-empty string")
    return value.strip()


def _priority(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -100 <= value <= 100:
        raise JoblensError(f"{path}: field 'priority': must be an integer from -100 to 100, got {value!r}")
    return value


def _tags(value: Any, path: Path) -> dict:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise JoblensError(f"{path}: field 'tags': must map tag names to strings")
    return {str(k): v for k, v in value.items()}


def _input_schema(value: Any, path: Path) -> dict:
    import jsonschema

    if not isinstance(value, dict):
        raise JoblensError(f"{path}: field 'inputs': must be a JSON schema (a mapping)")
    try:
        jsonschema.Draft202012Validator.check_schema(value)
    except jsonschema.SchemaError as exc:
        raise JoblensError(f"{path}: field 'inputs': invalid JSON schema: {exc.message}") from None
    return value


def _check_payload(schema: dict, payload: Any, where: str) -> None:
    reason = payload_error(schema, payload)
    if reason:
        raise JoblensError(f"{where}: {reason}")


def payload_error(schema: dict, payload: Any) -> str | None:
    """Why ``payload`` does not match a workflow's input schema, or None when it does."""
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(payload))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"input{'/' + where if where else ''}: {error.message}"


def _schedule(value: Any, path: Path, inputs: dict) -> Schedule | None:
    from dagster._utils.schedules import is_valid_cron_string

    if value is None:
        return None
    raw = {"cron": value} if isinstance(value, str) else value
    if not isinstance(raw, dict) or set(raw) - {"cron", "timezone", "input"}:
        raise JoblensError(f"{path}: field 'schedule': a cron string or a mapping of cron, timezone, input")
    cron = raw.get("cron")
    if not isinstance(cron, str) or not is_valid_cron_string(cron):
        raise JoblensError(f"{path}: field 'schedule.cron': not a valid cron expression: {cron!r}")
    payload = raw.get("input", {})
    _check_payload(inputs, payload, f"{path}: field 'schedule.input'")
    return Schedule(cron=cron, timezone=str(raw.get("timezone", "UTC")), input=payload)


def _steps(value: Any, path: Path) -> tuple[StepSpec, ...]:
    if not isinstance(value, list) or not value:
        raise JoblensError(f"{path}: field 'steps': must be a non-empty list of steps")
    steps: list[StepSpec] = []
    for index, raw in enumerate(value):
        step = _step(raw, index, path, [s.name for s in steps])
        steps.append(step)
    kinds.check_references(steps, path)
    return tuple(steps)


def _step(raw: Any, index: int, path: Path, earlier: list[str]) -> StepSpec:
    label = raw.get("name") if isinstance(raw, dict) else None
    where = f"{path}: step {label!r} (steps[{index}])" if isinstance(label, str) else f"{path}: steps[{index}]"
    if not isinstance(raw, dict):
        raise JoblensError(f"{where}: must be a mapping with name and kind")
    name = _name(raw.get("name"), f"{where}: field 'name'")
    if name in earlier or name == "inputs":
        raise JoblensError(f"{where}: field 'name': {name!r} is already used in this workflow")
    kind = raw.get("kind")
    if kind not in kinds.KINDS:
        raise JoblensError(f"{where}: field 'kind': unknown kind {kind!r}; kinds are: {', '.join(kinds.KINDS)}")
    settings = {k: v for k, v in raw.items() if k not in kinds.COMMON_FIELDS}
    kinds.check_settings(kind, settings, where)
    templating.check_templates(kind, settings, where)
    retry = raw.get("retry")
    return StepSpec(
        name=name,
        kind=kind,
        settings=settings,
        description=str(raw.get("description") or f"{kind} step {name}"),
        retry=resolve_profile(retry, f"{where}: field 'retry'") if retry is not None else None,
    )
