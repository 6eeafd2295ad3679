"""Immediate notifications of failed runs, sent within the sensor tick that sees the failure.

Muted while a silence matches ``run_failure`` with the job's labels, or while an inhibiting alert
(the job's failure-rate alert) fires; skipped when an automatic retry already succeeded, unless
``run_failures.notify_when_retry_succeeded`` says otherwise. One ledger row per run and route, so
a sensor that sees the same failure twice still sends once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alerting.alerts import FIRING
from alerting.engine import deliver, utcnow
from alerting.ledger import DeliveryReport, enqueue
from alerting.messages import RunFailure, run_failure_message
from alerting.rules import RuleSet, load_rules, rule_files
from alerting.state import load_alerts
from alerting.store import open_store
from alerting.suppression import RUN_FAILURE, active_silences, suppression


@dataclass
class FailureOutcome:
    status: str  # sent, queued, muted, skipped, duplicate
    reason: str = ""
    delivery: DeliveryReport | None = None


def ui_base_url(ruleset: RuleSet) -> str:
    """``$JOBLENS_UI_URL`` when set, else ``run_failures.ui_base_url`` of the rule files."""
    return os.environ.get("JOBLENS_UI_URL") or ruleset.run_failures.ui_base_url


def notify_run_failure(home_root: Path, failure: RunFailure, now: datetime | None = None, ruleset: RuleSet | None = None, channels=None) -> FailureOutcome:
    """Announce one failed run now, unless muted, already announced, or retried successfully."""
    now = now or utcnow()
    ruleset = ruleset or load_rules(rule_files(home_root))
    settings = ruleset.run_failures
    if failure.retry_succeeded and not settings.notify_when_retry_succeeded:
        return FailureOutcome("skipped", "an automatic retry already succeeded")
    with open_store(home_root) as con:
        firing = [a for a in load_alerts(con).values() if a.state == FIRING]
        muted = suppression(RUN_FAILURE, (), failure.labels, firing, ruleset.inhibit_rules, active_silences(con, now))
        if muted:
            return FailureOutcome("muted", muted)
        message = run_failure_message(failure, ui_base_url(ruleset))
        ids = set()
        for route in settings.routes:
            id_ = enqueue(con, f"run_failure|{failure.run_id}|{route}", route, RUN_FAILURE, message, now, RUN_FAILURE, [failure.labels])
            if id_ is not None:
                ids.add(id_)
    if not ids:
        return FailureOutcome("duplicate", "this run's failure was already notified")
    errors: list[str] = []
    report = deliver(home_root, now, errors, channels, only=ids)
    status = "sent" if report.sent == len(ids) else "queued"
    return FailureOutcome(status, "; ".join(errors), report)
