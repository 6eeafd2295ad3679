"""One evaluation: rules → metric values → alert states → muting → grouped notifications → delivery.

The warehouse is opened read-only and closed before the alert store is written. State changes
and the intents to notify are committed in one transaction, then delivered, so a crash anywhere
loses nothing and a rule that fails leaves its alerts exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from alerting.alerts import FIRING, INACTIVE, PENDING, RESOLVED, Alert, labels_key, step
from alerting.errors import AlertingError
from alerting.grouping import Planned, plan_rule
from alerting.ledger import DeliveryReport, deliver_pending
from alerting.metrics import METRICS, MetricContext, Sample, run_sql_metric
from alerting.rules import Rule, RuleSet, load_rules, rule_files
from alerting.state import load_alerts, mark_episode, record_transition, recent_changes, save_alert
from alerting.store import open_store
from alerting.suppression import active_silences, suppression
from pipelines.duckdb_files import connect_file
from pipelines.models.warehouse import WAREHOUSE_WAIT_S



@dataclass
class CheckReport:
    now: datetime
    dry_run: bool
    errors: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    transitions: list[tuple[str, str, str, str]] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    delivery: DeliveryReport | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def check(home_root: Path, now: datetime | None = None, dry_run: bool = False, rule_paths: list[Path] | None = None, channels=None) -> CheckReport:
    """Evaluate every rule at ``now`` and send what is due; ``dry_run`` changes and sends nothing."""
    now, home_root = now or utcnow(), Path(home_root)
    ruleset = load_rules(rule_paths if rule_paths is not None else rule_files(home_root))
    report = CheckReport(now, dry_run, errors=list(ruleset.errors))
    samples = collect_samples(home_root, ruleset.rules, now, report.errors)
    with open_store(home_root) as con:
        con.begin()
        try:
            evaluate(con, ruleset, samples, now, report)
        except BaseException:
            con.rollback()
            raise
        if dry_run:
            con.rollback()
            return report
        con.commit()
    report.delivery = deliver(home_root, now, report.errors, channels)
    return report


def deliver(home_root: Path, now: datetime, errors: list[str], channels=None, only: set[int] | None = None) -> DeliveryReport:
    """Send what is pending; a broken channel config is reported and everything stays queued."""
    with open_store(home_root) as con:
        pending = con.execute("select count(*) from alert_notifications where status = 'pending'").fetchone()[0]
    if not pending:
        return DeliveryReport()
    if channels is None:
        from alerting.transport import Channels

        try:
            channels = Channels()
        except AlertingError as exc:
            errors.append(str(exc))
            return DeliveryReport(waiting=pending)
    return deliver_pending(lambda: open_store(home_root), channels, now, only=only)


def collect_samples(home_root: Path, rules: list[Rule], now: datetime, errors: list[str]) -> dict[str, list[Sample]]:
    """Metric values of every rule that could be computed; a failing rule is reported and left out."""
    warehouse = Path(home_root) / "warehouse.duckdb"
    if not warehouse.is_file():
        errors.append(f"{warehouse}: the warehouse is not built yet (run joblens refresh); alert states left unchanged")
        return {}
    try:
        con = connect_file(warehouse, read_only=True, wait_s=WAREHOUSE_WAIT_S)  # a refresh holds it for a while
    except duckdb.Error as exc:
        errors.append(f"{warehouse}: cannot open the warehouse: {exc}")
        return {}
    samples = {}
    try:
        con.execute("set TimeZone = 'UTC'")
        for rule in rules:
            try:
                samples[rule.name] = compute(con, rule, now, Path(home_root) / "lake")
            except (duckdb.Error, AlertingError) as exc:
                where = "sql" if rule.sql else "metric"
                text = str(exc).splitlines()[0]
                errors.append(f"{rule.source}: rule {rule.name}: field {where}: {text.removeprefix(f'field {where}: ')}")
    finally:
        con.close()
    return samples


def compute(con, rule: Rule, now: datetime, lake: Path | None = None) -> list[Sample]:
    params = {**(METRICS[rule.metric].params if rule.metric else {}), **rule.params}
    ctx = MetricContext(con, now, rule.window, rule.group_by, params, lake)
    return METRICS[rule.metric].compute(ctx) if rule.metric else run_sql_metric(ctx, rule.sql)


def evaluate(con, ruleset: RuleSet, samples: dict[str, list[Sample]], now: datetime, report: CheckReport) -> None:
    evaluated = {rule.name: evaluate_rule(con, rule, samples[rule.name], now, report) for rule in ruleset.rules if rule.name in samples}
    everything = [a for alerts in evaluated.values() for a in alerts]
    apply_suppression(con, ruleset, evaluated, everything, now)
    for rule in ruleset.rules:
        if rule.name not in evaluated:
            continue
        planned = plan_rule(con, rule, evaluated[rule.name], now)
        report.planned += planned
        notified = {key for p in planned for key in p.firing}
        for alert in evaluated[rule.name]:
            if alert.last_evaluated_at == now or alert.state == FIRING:  # quiet alerts did not change
                save_alert(con, alert)
            if alert.key in notified:
                mark_episode(con, alert, notified=True)
    report.alerts = [a for a in everything if a.state in (PENDING, FIRING) or a.last_evaluated_at == now]


def evaluate_rule(con, rule: Rule, samples: list[Sample], now: datetime, report: CheckReport) -> list[Alert]:
    """Step every alert of the rule; alerts whose labels are absent this time count as fine."""
    stored = load_alerts(con, rule.name)
    if not samples and rule.no_data == "keep":
        return list(stored.values())
    if not samples and rule.no_data == "alert":
        samples = [Sample({"no_data": "true"}, float("nan"), {})]
    by_key = {labels_key(s.labels): s for s in samples}
    alerts = dict(stored)
    for key, sample in by_key.items():
        alerts.setdefault(key, Alert(rule.name, sample.labels))
    touched = []
    for key, alert in alerts.items():
        sample = by_key.get(key)
        if sample is None and alert.state in (INACTIVE, RESOLVED):
            touched.append(alert)
            continue
        changes = recent_changes(con, rule.name, key, now, rule.flap.window) if alert.state == FIRING else 0
        value = None if sample is None or sample.value != sample.value else sample.value
        transition = step(rule, alert, value, sample is not None, now, changes)
        if sample is not None:
            alert.info = sample.info
        if transition:
            record_transition(con, transition, now)
            report.transitions.append((rule.name, alert.key, transition.from_state, transition.to_state))
        if key in stored or alert.state != INACTIVE:
            touched.append(alert)
    return touched


def apply_suppression(con, ruleset: RuleSet, evaluated: dict[str, list[Alert]], everything: list[Alert], now: datetime) -> None:
    """Silences and inhibition, decided after every rule has moved, so the order of rules never matters."""
    silences = active_silences(con, now)
    firing = [a for a in load_alerts(con).values() if a.state == FIRING and a.rule not in evaluated] + [a for a in everything if a.state == FIRING]
    for rule in ruleset.rules:
        for alert in evaluated.get(rule.name, []):
            just_resolved = alert.state == RESOLVED and alert.resolved_at == now
            if alert.state in (PENDING, FIRING) or just_resolved:
                alert.suppressed_by = suppression(rule.name, rule.depends_on, alert.labels, firing, ruleset.inhibit_rules, silences)
            if alert.state == FIRING and alert.suppressed_by and alert.suppressed_by.startswith("silence"):
                mark_episode(con, alert, silenced=True)
