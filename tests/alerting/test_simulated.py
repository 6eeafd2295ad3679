"""Alerts over real models: simulated history → refresh → the shipped rules, evaluated through a day."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest

from alerting.engine import check, compute
from alerting.rules import SHIPPED_RULES, parse_rule
from alerting.store import open_store
from pipelines.models.refresh import refresh
from pipelines.models.simulator import simulate

pytestmark = pytest.mark.slow


@pytest.fixture
def history(joblens_home, monkeypatch):
    monkeypatch.delenv("JOBLENS_CHANNELS", raising=False)  # the shipped file channel under JOBLENS_HOME
    report = simulate(joblens_home.lake, days=3, runs_per_day=150, seed=7, end_date=date(2026, 3, 10))
    refresh(joblens_home)
    return report


def test_failure_rate_metric_matches_the_runs_it_counts(joblens_home, history):
    now = history.end - timedelta(hours=6)
    rule = parse_rule(SHIPPED_RULES, {"name": "r", "metric": "job_failure_rate", "comparison": ">", "threshold": 0, "window": "1d", "params": {"min_runs": 1}})
    with duckdb.connect(str(joblens_home.warehouse), read_only=True) as con:
        runs = con.execute("select job_name, status, ended_at from fct_runs").fetchall()
        metric = {s.labels["job"]: s.value for s in compute(con, rule, now)}
    counted: dict[str, list[int]] = {}
    for job, status, ended_at in runs:
        if status in ("completed", "failed") and now - timedelta(days=1) < ended_at <= now:
            failed_total = counted.setdefault(job, [0, 0])
            failed_total[0] += status == "failed"
            failed_total[1] += 1
    assert metric.keys() == counted.keys() and len(metric) > 3
    assert all(metric[job] == pytest.approx(failed / total) for job, (failed, total) in counted.items())


def test_shipped_rules_through_two_days_of_history(joblens_home, history):
    for hours in range(0, 49, 3):
        report = check(joblens_home.root, now=history.start + timedelta(days=1, hours=hours), rule_paths=[SHIPPED_RULES])
        assert report.errors == []
    with open_store(joblens_home.root) as con:
        ledger = con.execute("select title, body, status from alert_notifications order by id").fetchall()
    assert ledger and all(status == "sent" for *_, status in ledger)
    assert all(title.startswith(("[FIRING:", "[RESOLVED:")) for title, *_ in ledger)
    # the simulator plants one new error signature: announced once, then resolved once a day later
    line = f"signature={history.new_error_signature}:"
    sections = [body.partition("Resolved:") for _, body, _ in ledger if line in body]
    assert line in sections[0][0]  # first listed as firing
    assert [s for s in sections if line in s[2]] == sections[-1:]  # listed as resolved once, in the last message naming it
    delivered = [json.loads(line) for line in (joblens_home.root / "alerts" / "notifications.jsonl").read_text().splitlines()]
    assert [d["title"] for d in delivered] == [title for title, *_ in ledger]  # each sent exactly once


def test_capture_lagging_mutes_the_rules_that_need_fresh_data(joblens_home, history):
    for minutes in (0, 60, 65):  # capture stops at the end of the history: lagging after 30 minutes, for two evaluations
        report = check(joblens_home.root, now=history.end + timedelta(minutes=minutes), rule_paths=[SHIPPED_RULES])
    by_rule = {}
    for alert in report.alerts:
        by_rule.setdefault(alert.rule, []).append(alert)
    assert [a.state for a in by_rule["lake_capture_lagging"]] == ["firing"]
    assert by_rule["new_error_signature"] and all(
        a.suppressed_by == "inhibited by lake_capture_lagging" for a in by_rule["new_error_signature"] if a.state == "firing"
    )
