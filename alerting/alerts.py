"""The state of one alert (rule + labels) and its moves: pending → firing → resolved.

A pure state machine: it takes the rule, the alert as stored and this evaluation's value, and
changes the alert in place, returning the transition to record. No I/O, no clock of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from alerting.rules import Rule

INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"


def labels_key(labels: dict) -> str:
    """The stable identity of an alert within its rule."""
    return json.dumps({k: str(v) for k, v in sorted(labels.items())}, separators=(",", ":"))


def describe_labels(labels: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(all)"


@dataclass
class Alert:
    rule: str
    labels: dict
    state: str = INACTIVE
    severity: str | None = None
    value: float | None = None
    info: dict = field(default_factory=dict)
    breach_count: int = 0
    ok_count: int = 0
    since: datetime | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_evaluated_at: datetime | None = None
    notify_count: int = 0
    escalated: bool = False
    flapping: bool = False
    suppressed_by: str | None = None
    episode: int = 0

    @property
    def key(self) -> str:
        return labels_key(self.labels)


@dataclass(frozen=True)
class Transition:
    alert: Alert
    from_state: str
    to_state: str


def level(rule: Rule, value: float | None, active_severity: str | None) -> str | None:
    """The severity this value calls for, or None when it is fine.

    An active alert stays at its severity until the value is back past the resolve threshold
    (hysteresis); without a resolve threshold it clears as soon as no threshold is crossed.
    """
    if value is None:
        return rule.severity  # a "no data" alert
    if rule.breaches(value, rule.threshold):
        return rule.severity
    if rule.breaches(value, rule.warning):
        return "warning"
    if active_severity and rule.breaches(value, rule.resolve):
        return active_severity
    return None


def step(rule: Rule, alert: Alert, value: float | None, breached: bool, now: datetime, recent_changes: int) -> Transition | None:
    """Move ``alert`` one evaluation forward; ``recent_changes`` = its firing/resolved changes within the flap window."""
    before = alert.state
    active = alert.severity if alert.state in (PENDING, FIRING) else None
    severity = level(rule, value, active) if breached else None
    alert.value, alert.last_evaluated_at = value, now
    if alert.state in (INACTIVE, RESOLVED, PENDING):
        _step_quiet(rule, alert, severity, now)
    else:
        _step_firing(rule, alert, severity, now, recent_changes)
    return Transition(alert, before, alert.state) if alert.state != before else None


def _step_quiet(rule: Rule, alert: Alert, severity: str | None, now: datetime) -> None:
    if severity is None:
        if alert.state == PENDING:
            alert.state, alert.breach_count, alert.since = INACTIVE, 0, now
        return
    if alert.state != PENDING:
        alert.breach_count, alert.since = 0, now
    alert.breach_count += 1
    alert.severity = severity
    if alert.breach_count >= rule.for_evaluations:
        alert.state, alert.fired_at, alert.since = FIRING, now, now
        alert.episode += 1
        alert.notify_count, alert.escalated, alert.flapping, alert.ok_count = 0, False, False, 0
    else:
        alert.state = PENDING


def _step_firing(rule: Rule, alert: Alert, severity: str | None, now: datetime, recent_changes: int) -> None:
    if severity is not None:
        alert.severity, alert.ok_count = severity, 0
        return
    alert.ok_count += 1
    if alert.flapping or recent_changes >= rule.flap.max_changes:
        # Changing state this often is noise: hold it firing until it has been fine for a while.
        alert.flapping = True
        if alert.ok_count < rule.flap.stable_evaluations:
            return
    alert.state, alert.resolved_at, alert.since, alert.breach_count = RESOLVED, now, now, 0
