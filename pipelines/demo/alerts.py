"""Phase 4: the alert rules evaluated and their messages delivered to the default channel.

What the two alert sensors would have done had the Dagster daemon been running: the
run-failure sensor announces each run of this demo that failed, and the rules sensor
evaluates every rule over the models. On a home's first demo the rules are evaluated
every few hours through the last simulated day, moving forward in time as the sensor
would, then now: that is what would have been sent. Alerts that first fire now wait for
their group to settle (``group_wait``, 30 s by default) before their message goes out, so
the demo waits that long, as the sensor's next tick would, and evaluates once more. A
later demo evaluates from now on only, never back in time. Everything goes through the shipped
channel config: JSON lines in ``JOBLENS_HOME/alerts/notifications.jsonl``, no network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipelines.demo.progress import Advance
from pipelines.demo.runs import LaunchedRun
from pipelines.demo.state import DemoState
from pipelines.home import Home

REPLAY = timedelta(hours=24)
EVALUATION_STEP = timedelta(hours=3)
SETTLE_LIMIT = timedelta(seconds=60)  # longer group waits are left to the sensor


@dataclass
class AlertOutcome:
    evaluations: int = 0
    firing: list[dict] = field(default_factory=list)  # rule, labels, severity, value
    run_failures: dict[str, str] = field(default_factory=dict)  # run id → sent, muted, …
    sent: int = 0
    waiting: int = 0  # alert groups and messages left for the next evaluation
    errors: list[str] = field(default_factory=list)
    channel_file: str = ""


def evaluation_times(last: datetime | None, history_end: datetime, now: datetime) -> list[datetime]:
    """Moments to evaluate the rules at, in order: through the history's last day on a
    home's first evaluation, then now; only now afterwards (never back in time)."""
    if last is not None:
        return [now] if now > last else []
    moments, moment = [], max(history_end - REPLAY, now - 2 * REPLAY) + EVALUATION_STEP
    while moment <= min(history_end, now - EVALUATION_STEP):
        moments.append(moment)
        moment += EVALUATION_STEP
    return [*moments, now]


def evaluate_alerts(instance, home: Home, state: DemoState, launched: list[LaunchedRun], steps: list[datetime],
                    step: Advance) -> AlertOutcome:
    from alerting.failures import notify_run_failure

    outcome = AlertOutcome(channel_file=str(home.root / "alerts" / "notifications.jsonl"))
    step("announcing failed runs (run_failure_alert_sensor)")
    for run in launched:
        if run.status == "failed":
            result = notify_run_failure(home.root, _run_failure(instance, run.run_id))
            outcome.run_failures[run.run_id] = result.status
            outcome.sent += result.delivery.sent if result.delivery else 0
    report = None
    for moment in steps:
        step(f"evaluating the rules as of {moment:%Y-%m-%d %H:%M} UTC")
        report = _evaluate(home, moment, outcome)
    settle = _longest_group_wait(home)
    if report is not None and _waiting(home) and settle <= SETTLE_LIMIT:
        step(f"waiting {settle.total_seconds():.0f}s for new alert groups to settle (group_wait)")
        time.sleep(max(0.0, (report.now + settle - now_utc()).total_seconds()))
        report = _evaluate(home, now_utc(), outcome)
    if report is not None:
        state.alerts_evaluated_at = report.now.isoformat()
        outcome.firing = [{"rule": a.rule, "labels": a.labels, "severity": a.severity, "value": a.value}
                          for a in report.alerts if a.state == "firing" and not a.suppressed_by]
    outcome.waiting = _waiting(home)
    return outcome


def _evaluate(home: Home, moment: datetime, outcome: AlertOutcome):
    from alerting.engine import check

    report = check(home.root, now=moment)
    outcome.evaluations += 1
    outcome.errors += [e for e in report.errors if e not in outcome.errors]
    outcome.sent += report.delivery.sent if report.delivery else 0
    return report


def _run_failure(instance, run_id: str):
    """The failure as the run-failure sensor sees it: the run and its step failure events."""
    import dagster as dg

    from pipelines.alerts.sensors import run_failure_from_dagster

    failures = [r.dagster_event for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)]
    return run_failure_from_dagster(instance, instance.get_run_by_id(run_id), failures)


def _waiting(home: Home) -> int:
    """Alert groups waiting out their group_wait, plus messages not delivered yet."""
    from alerting.store import open_store

    with open_store(home.root) as con:
        return con.execute("select (select count(*) from alert_groups where first_pending_at is not null)"
                           " + (select count(*) from alert_notifications where status = 'pending')").fetchone()[0]


def _longest_group_wait(home: Home) -> timedelta:
    from alerting.rules import load_rules, rule_files

    return max((rule.group_wait for rule in load_rules(rule_files(home.root)).rules), default=timedelta(0))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
