"""The text people read: a grouped alert notification, a run failure, a broken channel.

Plain text, deterministic for given inputs (golden-file tested). Never a stack trace: a
failure message carries the first line of the error and the remediation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.alerts import Alert, describe_labels
from alerting.durations import format_duration
from alerting.rules import Rule

NOTIFY_TYPES = {"critical": "failure", "warning": "warning", "info": "info"}


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    notify_type: str  # Apprise's: info, success, warning, failure


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def _value(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value:.4g}"


def alert_line(rule: Rule, alert: Alert, now: datetime) -> str:
    limit = rule.threshold if alert.severity == rule.severity else rule.warning
    if alert.value is None:
        detail = "no data"
    elif rule.breaches(alert.value, limit):
        detail = f"{_value(alert.value)} {rule.comparison} {_value(limit)}"
    else:  # held by the resolve threshold (hysteresis) or by flap damping
        detail = f"{_value(alert.value)}, firing until past {_value(rule.resolve if rule.resolve is not None else limit)}"
    flapping = ", flapping" if alert.flapping else ""
    facts = _facts(alert.info)
    return f"- [{alert.severity}] {describe_labels(alert.labels)}: {detail}{facts} (since {_when(alert.fired_at)}{flapping})"


def _facts(info: dict, limit: int = 4) -> str:
    """A few of the metric's details (runs counted, budget, sample message), shortened."""
    shown = []
    for key, value in info.items():
        if value is None or key.startswith("_") or len(shown) >= limit:
            continue
        text = _value(value) if isinstance(value, float) else str(value)
        shown.append(f"{key}={first_line(text, 80)}")
    return f" [{', '.join(shown)}]" if shown else ""


def resolved_line(alert: Alert) -> str:
    lasted = format_duration(alert.resolved_at - alert.fired_at) if alert.resolved_at and alert.fired_at else "?"
    return f"- {describe_labels(alert.labels)}: now {_value(alert.value)} (was firing {lasted})"


def group_message(rule: Rule, firing: list[Alert], resolved: list[Alert], now: datetime, escalated: bool = False) -> Message:
    """One message for every alert of a rule and route that changed, listing all that fire."""
    if firing:
        worst = "critical" if any(a.severity == "critical" for a in firing) else firing[0].severity or rule.severity
        title = f"[FIRING:{len(firing)}] {rule.name} ({worst})" + (" escalated" if escalated else "")
        notify_type = NOTIFY_TYPES.get(worst, "warning")
    else:
        title, notify_type = f"[RESOLVED:{len(resolved)}] {rule.name}", "success"
    lines = [rule.description] if rule.description else []
    if firing:
        lines += ["Firing:", *(alert_line(rule, a, now) for a in sorted(firing, key=lambda a: a.key))]
    if resolved:
        lines += ["Resolved:", *(resolved_line(a) for a in sorted(resolved, key=lambda a: a.key))]
    lines.append(f"Rule {rule.name} ({rule.metric or 'sql'}), evaluated {_when(now)}")
    return Message(title, "\n".join(lines), notify_type)


@dataclass(frozen=True)
class RunFailure:
    """What the run-failure sensor knows about one failed run; built in pipelines/, used here."""

    run_id: str
    job_name: str
    error_class: str | None = None
    error_code: str = "unknown"
    message: str = ""
    remediation: str = ""
    step_key: str | None = None
    attempt: int | None = None
    run_attempt: int = 1
    team: str | None = None
    job_type: str | None = None
    retry_succeeded: bool = False

    @property
    def labels(self) -> dict:
        return {k: v for k, v in (("job", self.job_name), ("team", self.team), ("job_type", self.job_type)) if v}


def first_line(text: str | None, limit: int = 300) -> str:
    """The first non-empty line of an error, shortened: chat messages never carry stack traces."""
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def run_failure_message(failure: RunFailure, ui_base_url: str) -> Message:
    where = f"step {failure.step_key}, attempt {failure.attempt or 1}" if failure.step_key else "run level"
    retry = f" (run attempt {failure.run_attempt})" if failure.run_attempt > 1 else ""
    lines = [
        f"Job: {failure.job_name}{retry}",
        f"Error: {failure.error_code} ({failure.error_class or 'unknown class'})",
        f"Message: {first_line(failure.message) or '(none)'}",
        f"Where: {where}",
    ]
    if failure.remediation:
        lines.append(f"Remediation: {failure.remediation}")
    lines.append(f"Run: {ui_base_url.rstrip('/')}/runs/{failure.run_id}")
    return Message(f"[FAILED] {failure.job_name}: {failure.error_code}", "\n".join(lines), "failure")


def channel_broken_message(route: str, failures: int, last_error: str | None) -> Message:
    body = f"{failures} deliveries in a row to channel '{route}' failed.\nLast error: {first_line(last_error) or 'unknown'}\nNotifications for it are kept and retried."
    return Message(f"[CHANNEL DOWN] {route}", body, "warning")


def test_message(route: str, now: datetime) -> Message:
    return Message(f"JobLens test message to '{route}'", f"If you can read this, channel '{route}' works ({_when(now)}).", "info")
