"""Each named metric on hand-written model rows, with the value worked out by hand."""

from __future__ import annotations

import os
from datetime import timedelta

import duckdb

from alerting.engine import check, compute
from alerting.rules import SHIPPED_RULES, load_rules, parse_rule


def values(warehouse, metric, now, window="1h", group_by=None, params=None, lake=None):
    raw = {"name": "m", "metric": metric, "comparison": ">", "threshold": 0, "window": window, "params": params or {}}
    if group_by:
        raw["group_by"] = group_by
    rule = parse_rule(warehouse.path, raw)
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return {tuple(sorted(s.labels.items())): round(s.value, 4) for s in compute(con, rule, now, lake)}


def test_failure_rate_by_job_and_by_team(warehouse, t0):
    warehouse.failure_rates(t0, {"a": (1, 4), "b": (3, 4)})
    warehouse.insert("fct_runs", [warehouse.run_row("old", "a", "failed", t0 - timedelta(hours=2))])
    assert values(warehouse, "job_failure_rate", t0) == {(("job", "a"),): 0.25, (("job", "b"),): 0.75}
    assert values(warehouse, "job_failure_rate", t0, group_by=["team"]) == {(("team", "data"),): 0.5}
    assert values(warehouse, "job_failure_rate", t0, params={"min_runs": 5}) == {}


def test_consecutive_failures_count_since_the_last_success(warehouse, t0):
    rows = [("completed", 5), ("failed", 4), ("failed", 3), ("failed", 2)]
    warehouse.insert("fct_runs", [warehouse.run_row(f"r{h}", "a", s, t0 - timedelta(hours=h)) for s, h in rows])
    warehouse.insert("fct_runs", [warehouse.run_row("b1", "b", "failed", t0 - timedelta(hours=1)), warehouse.run_row("b2", "b", "completed", t0 - timedelta(minutes=5))])
    assert values(warehouse, "consecutive_failed_runs", t0, window="1d") == {(("job", "a"),): 3.0}


def test_new_error_signature_only_when_first_seen_in_the_window(warehouse, t0):
    warehouse.insert("failure_patterns", [
        {"signature": "abc", "error_code": "timeout", "occurrences": 4, "first_seen": t0 - timedelta(hours=2), "sample_message": "x"},
        {"signature": "old", "error_code": "network", "occurrences": 9, "first_seen": t0 - timedelta(days=3)},
    ])
    assert values(warehouse, "new_error_signature", t0, window="1d") == {(("signature", "abc"),): 4.0}


def test_run_stuck_against_three_times_the_p95(warehouse, t0):
    warehouse.insert("agg_job_daily", [{"day": (t0 - timedelta(days=1)).date(), "job_name": "a", "p95_duration_s": 600.0}])
    warehouse.insert("fct_runs", [warehouse.run_row("r1", "a", "running", None, started_at=t0 - timedelta(hours=2)),
                                  warehouse.run_row("r2", "new_job", "running", None, started_at=t0 - timedelta(hours=2))])
    assert values(warehouse, "run_stuck", t0) == {(("job", "a"), ("run_id", "r1")): 4.0, (("job", "new_job"), ("run_id", "r2")): 0.3333}


def test_queue_wait_p95_per_job_type(warehouse, t0):
    warehouse.insert("fct_runs", [
        warehouse.run_row(f"r{i}", "a", "completed", t0, started_at=t0 - timedelta(minutes=10), queue_wait_s=float(10 * i))
        for i in range(1, 6)
    ])
    assert values(warehouse, "queue_wait_p95", t0) == {(("job_type", "workflow"),): 48.0}


def test_duration_regression_against_the_baseline(warehouse, t0):
    baseline = [warehouse.run_row(f"b{d}", "a", "completed", t0 - timedelta(days=d), duration_s=100.0) for d in range(2, 7)]
    recent = [warehouse.run_row(f"n{h}", "a", "completed", t0 - timedelta(hours=h), duration_s=300.0) for h in range(1, 6)]
    warehouse.insert("fct_runs", baseline + recent)
    assert values(warehouse, "duration_p95_regression", t0, window="1d") == {(("job", "a"),): 3.0}


def test_budget_metrics(warehouse, t0):
    warehouse.insert("budget_status", [
        {"budget_name": "all", "scope": "total", "match": "*", "month": t0.date().replace(day=1), "budget_usd": 310.0,
         "days_in_month": 31, "forecast_share": 1.2},
        {"budget_name": "gpt", "scope": "model", "match": "gpt-*", "month": t0.date().replace(day=1), "budget_usd": 31.0,
         "days_in_month": 31, "forecast_share": 0.5},
    ])
    warehouse.insert("agg_cost_daily", [
        {"day": t0.date(), "job_name": "a", "provider": "openai", "model": "gpt-4o", "cost_usd": 15.0},
        {"day": t0.date(), "job_name": "b", "provider": "anthropic", "model": "claude", "cost_usd": 10.0},
        {"day": (t0 - timedelta(days=1)).date(), "job_name": "a", "provider": "openai", "model": "gpt-4o", "cost_usd": 99.0},
    ])
    assert values(warehouse, "daily_budget_share", t0) == {(("budget", "all"),): 2.5, (("budget", "gpt"),): 15.0}
    assert values(warehouse, "budget_forecast_share", t0) == {(("budget", "all"),): 1.2, (("budget", "gpt"),): 0.5}


def test_schedule_overdue_in_usual_intervals(warehouse, t0):
    last = t0 - timedelta(hours=5)
    warehouse.insert("fct_runs", [warehouse.run_row(f"s{h}", "nightly", "completed", last - timedelta(hours=h), queued_at=last - timedelta(hours=h)) for h in range(10)])
    assert values(warehouse, "schedule_overdue", t0) == {(("job", "nightly"),): 5.0}


def test_capture_lag_from_the_models_and_the_newest_lake_file(warehouse, joblens_home, t0):
    warehouse.insert("fct_runs", [warehouse.run_row("r", "a", "completed", t0 - timedelta(minutes=40), queued_at=t0 - timedelta(minutes=45))])
    assert values(warehouse, "capture_lag_s", t0) == {(): 2400.0}
    landed = joblens_home.lake / "landing" / "runs" / "date=2026-03-10" / "x.parquet"
    landed.parent.mkdir(parents=True)
    landed.write_bytes(b"")
    os.utime(landed, ((t0 - timedelta(seconds=60)).timestamp(),) * 2)
    assert values(warehouse, "capture_lag_s", t0, lake=joblens_home.lake) == {(): 60.0}


def test_sql_metric_with_bound_parameters(warehouse, t0):
    warehouse.failure_rates(t0, {"a": (1, 4)})
    rule = parse_rule(warehouse.path, {
        "name": "runs_per_job", "comparison": ">", "threshold": 3, "params": {"status": "failed"},
        "sql": "select job_name as key, count(*) as value from fct_runs where ended_at > $window_start and status = $status group by 1",
    })
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        assert [(s.labels, s.value) for s in compute(con, rule, t0)] == [({"key": "a"}, 1.0)]


def test_every_shipped_rule_runs_on_the_model_tables(warehouse, joblens_home, channels_file, t0):
    warehouse.failure_rates(t0, {"a": (1, 4)})
    report = check(joblens_home.root, now=t0, rule_paths=[SHIPPED_RULES], dry_run=True)
    assert report.errors == []
    assert len(load_rules([SHIPPED_RULES]).rules) == 10
