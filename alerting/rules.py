"""Alert rules from YAML files: validated one rule at a time, so one bad rule never stops the others.

A rule file holds ``rules:`` (a list), and optionally ``defaults:`` (fields every rule of the
file inherits), ``inhibit_rules:`` and ``run_failures:`` (settings of the immediate run-failure
notifications). Every problem is reported as one line naming the file, the rule and the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from alerting.durations import parse_duration
from alerting.errors import AlertingError
from alerting.metrics import METRICS
from alerting.rule_fields import choice, count, duration, names, number, text

SHIPPED_RULES = Path(__file__).with_name("rules.yaml")
COMPARISONS = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__, "==": float.__eq__, "!=": float.__ne__}
SEVERITIES = ("critical", "warning", "info")
NO_DATA = ("ok", "keep", "alert")
RULE_FIELDS = {
    "name", "description", "metric", "sql", "params", "window", "comparison", "threshold", "warning",
    "resolve", "group_by", "for", "severity", "routes", "repeat_interval", "escalation", "no_data",
    "group_wait", "group_interval", "flap", "depends_on", "enabled",
}


@dataclass(frozen=True)
class Escalation:
    routes: tuple[str, ...]
    after_repeats: int | None = None
    after: timedelta | None = None


@dataclass(frozen=True)
class Flap:
    max_changes: int = 4
    window: timedelta = timedelta(hours=1)
    stable_evaluations: int = 3


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    comparison: str
    threshold: float
    metric: str | None = None
    sql: str | None = None
    description: str = ""
    params: dict = field(default_factory=dict, hash=False, compare=False)
    window: timedelta = timedelta(hours=1)
    warning: float | None = None
    resolve: float | None = None
    group_by: tuple[str, ...] = ()
    for_evaluations: int = 1
    severity: str = "critical"
    routes: tuple[str, ...] = ("ops",)
    repeat_interval: timedelta = timedelta(hours=4)
    escalation: Escalation | None = None
    no_data: str = "ok"
    group_wait: timedelta = timedelta(0)
    group_interval: timedelta = timedelta(minutes=5)
    flap: Flap = Flap()
    depends_on: tuple[str, ...] = ()

    def breaches(self, value: float, limit: float | None) -> bool:
        return limit is not None and COMPARISONS[self.comparison](float(value), float(limit))


@dataclass(frozen=True)
class InhibitRule:
    """While an alert of ``source`` fires, it mutes alerts of ``targets`` (rule names, ``depends_on``
    names, or ``run_failure``) whose ``equal`` labels carry the same values."""

    source: str
    targets: tuple[str, ...]
    equal: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunFailureSettings:
    routes: tuple[str, ...] = ("ops",)
    notify_when_retry_succeeded: bool = False
    ui_base_url: str = "http://127.0.0.1:3000"


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    inhibit_rules: list[InhibitRule] = field(default_factory=list)
    run_failures: RunFailureSettings = RunFailureSettings()
    errors: list[str] = field(default_factory=list)

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def rule_files(home_root: Path | None = None) -> list[Path]:
    """The shipped rules, then ``$JOBLENS_HOME/alert_rules/*.yaml``, then ``$JOBLENS_RULES`` (paths joined by ``os.pathsep``)."""
    files = [SHIPPED_RULES]
    if home_root is not None and (home_root / "alert_rules").is_dir():
        files += sorted((home_root / "alert_rules").glob("*.y*ml"))
    for raw in filter(None, os.environ.get("JOBLENS_RULES", "").split(os.pathsep)):
        path = Path(raw).expanduser()
        files += sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    return files


def load_rules(files: list[Path]) -> RuleSet:
    """Every valid rule of every file; each problem becomes one line in ``RuleSet.errors``."""
    ruleset = RuleSet()
    for path in map(Path, files):
        try:
            document = _read(path)
        except AlertingError as exc:
            ruleset.errors.append(str(exc))
            continue
        _load_document(path, document, ruleset)
    return ruleset


def _read(path: Path) -> dict:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise AlertingError(f"{path}: cannot read rule file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise AlertingError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise AlertingError(f"{path}: a rule file is a mapping with a 'rules' list")
    return document


def _load_document(path: Path, document: dict, ruleset: RuleSet) -> None:
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        ruleset.errors.append(f"{path}: field defaults: must be a mapping")
        defaults = {}
    entries = document.get("rules") or []
    if not isinstance(entries, list):
        ruleset.errors.append(f"{path}: field rules: must be a list of rules")
        entries = []
    for index, entry in enumerate(entries):
        label = entry.get("name") if isinstance(entry, dict) and entry.get("name") else f"#{index + 1}"
        if isinstance(entry, dict) and entry.get("enabled") is False:
            continue
        try:
            rule = parse_rule(path, {**defaults, **entry} if isinstance(entry, dict) else entry)
        except AlertingError as exc:
            ruleset.errors.append(f"{path}: rule {label}: {exc}")
            continue
        if ruleset.rule(rule.name) is not None:
            ruleset.errors.append(f"{path}: rule {rule.name}: field name: already defined in {ruleset.rule(rule.name).source}")
            continue
        ruleset.rules.append(rule)
    for index, entry in enumerate(document.get("inhibit_rules") or []):
        try:
            ruleset.inhibit_rules.append(_parse_inhibit(entry))
        except AlertingError as exc:
            ruleset.errors.append(f"{path}: inhibit rule #{index + 1}: {exc}")
    if "run_failures" in document:
        try:
            ruleset.run_failures = _parse_run_failures(document["run_failures"])
        except AlertingError as exc:
            ruleset.errors.append(f"{path}: run_failures: {exc}")


def parse_rule(path: Path, raw: Any) -> Rule:
    """One rule mapping → ``Rule``; raises ``AlertingError("field X: problem")`` on the first problem."""
    if not isinstance(raw, dict):
        raise AlertingError("must be a mapping of fields")
    unknown = sorted(set(raw) - RULE_FIELDS)
    if unknown:
        raise AlertingError(f"field {unknown[0]}: unknown field")
    name = text(raw, "name", required=True)
    metric, sql, group_by, params = _metric(raw)
    comparison = raw.get("comparison")
    if comparison not in COMPARISONS:
        raise AlertingError(f"field comparison: {comparison!r} is not one of {' '.join(COMPARISONS)}")
    return Rule(
        name=name,
        source=str(path),
        metric=metric,
        sql=sql,
        comparison=comparison,
        threshold=number(raw, "threshold", required=True),
        warning=number(raw, "warning"),
        resolve=number(raw, "resolve"),
        description=text(raw, "description") or "",
        params=params,
        window=duration(raw, "window", timedelta(hours=1)),
        group_by=group_by,
        for_evaluations=count(raw, "for", 1),
        severity=choice(raw, "severity", SEVERITIES, "critical"),
        routes=tuple(names(raw, "routes")) or ("ops",),
        repeat_interval=duration(raw, "repeat_interval", timedelta(hours=4)),
        escalation=_escalation(raw.get("escalation")),
        no_data=choice(raw, "no_data", NO_DATA, "ok"),
        group_wait=duration(raw, "group_wait", timedelta(0)),
        group_interval=duration(raw, "group_interval", timedelta(minutes=5)),
        flap=_flap(raw.get("flap")),
        depends_on=tuple(names(raw, "depends_on")),
    )


def _metric(raw: dict) -> tuple[str | None, str | None, tuple[str, ...], dict]:
    """The metric or SQL of a rule, the labels it groups by and its parameters, checked against the metric."""
    metric, sql = raw.get("metric"), raw.get("sql")
    if (metric is None) == (sql is None):
        raise AlertingError("field metric: give exactly one of 'metric' (a named metric) or 'sql'")
    if metric is not None and metric not in METRICS:
        raise AlertingError(f"field metric: unknown metric {metric!r} (known: {', '.join(sorted(METRICS))})")
    if sql is not None and (not isinstance(sql, str) or not sql.strip()):
        raise AlertingError("field sql: must be a query returning key, value rows")
    allowed = METRICS[metric].labels if metric else ("key",)
    group_by = tuple(names(raw, "group_by"))
    bad = [label for label in group_by if label not in allowed]
    if bad:
        raise AlertingError(f"field group_by: label {bad[0]!r} is not one of {', '.join(allowed)}")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise AlertingError("field params: must be a mapping")
    unknown = sorted(set(params) - set(METRICS[metric].params)) if metric else []
    if unknown:
        raise AlertingError(f"field params: unknown parameter {unknown[0]!r} of metric {metric}")
    return metric, sql, group_by or (METRICS[metric].default_labels if metric else allowed), dict(params)


def _escalation(raw: Any) -> Escalation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("routes"):
        raise AlertingError("field escalation: needs 'routes' and 'after_repeats' and/or 'after'")
    after_repeats = raw.get("after_repeats")
    if after_repeats is not None and (isinstance(after_repeats, bool) or not isinstance(after_repeats, int) or after_repeats < 1):
        raise AlertingError(f"field escalation.after_repeats: {after_repeats!r} is not a whole number >= 1")
    after = parse_duration(raw["after"], "field escalation.after") if raw.get("after") is not None else None
    if after_repeats is None and after is None:
        raise AlertingError("field escalation: needs 'after_repeats' and/or 'after'")
    return Escalation(tuple(names(raw, "routes")), after_repeats, after)


def _flap(raw: Any) -> Flap:
    if raw is None:
        return Flap()
    if not isinstance(raw, dict):
        raise AlertingError("field flap: must be a mapping of max_changes, window, stable_evaluations")
    return Flap(
        max_changes=count(raw, "max_changes", 4),
        window=duration(raw, "window", timedelta(hours=1)),
        stable_evaluations=count(raw, "stable_evaluations", 3),
    )


def _parse_inhibit(raw: Any) -> InhibitRule:
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
        raise AlertingError("field source: missing (the rule whose firing alerts mute others)")
    targets = names(raw, "targets")
    if not targets:
        raise AlertingError("field targets: missing")
    return InhibitRule(raw["source"], tuple(targets), tuple(names(raw, "equal")))


def _parse_run_failures(raw: Any) -> RunFailureSettings:
    if not isinstance(raw, dict):
        raise AlertingError("must be a mapping")
    flag = raw.get("notify_when_retry_succeeded", False)
    if not isinstance(flag, bool):
        raise AlertingError(f"field notify_when_retry_succeeded: {flag!r} is not true or false")
    return RunFailureSettings(
        routes=tuple(names(raw, "routes")) or ("ops",),
        notify_when_retry_succeeded=flag,
        ui_base_url=text(raw, "ui_base_url") or RunFailureSettings.ui_base_url,
    )
