"""SQL models as data: hand-written lake rows in, expected warehouse rows out.

One small November 2024 history covers the edge cases: a run with no steps, a run
cancelled while queued, a failed run re-run by a retry run (parent/root), a step retry,
a price change mid-month (acme m-large: acme-1 until the 15th, acme-2 after), a day
with no runs (the 11th) and a run still running at the end.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.models.refresh import refresh


def write_november(h) -> None:
    at, plus = h.at, h.plus
    q = at("2024-11-10 10:00")
    h.run("r1", "etl", q, [("preparing", 5), ("running", 10), ("completed", 100)])
    h.step("r1", "etl", "extract", plus(q, 12), 30, cpu_s=4.0, rss_mb=300.0)
    h.call("r1", "etl", plus(q, 20), "m-small", 1_000_000, 0, provider="acme", step_key="extract")
    h.step("r1", "etl", "load", plus(q, 45), 20, status="failed", error_code="network")
    h.error("r1", "etl", plus(q, 65), "network", "sig-net", step_key="load", transient=True)
    h.step("r1", "etl", "load", plus(q, 70), 25, attempt=2, wait_before_s=5)
    h.call("r1", "etl", plus(q, 80), "m-large-2", 1_000_000, 1_000_000, provider="acme", step_key="load")

    h.run("r_nosteps", "etl", at("2024-11-10 12:00"), [("preparing", 5), ("running", 10), ("completed", 60)])
    h.run("r_cancel", "etl", at("2024-11-10 13:00"), [("cancelled", 30)])

    q = at("2024-11-10 14:00")
    h.run("r_fail", "etl", q, [("preparing", 5), ("running", 10), ("failed", 50)])
    h.step("r_fail", "etl", "extract", plus(q, 12), 20, status="failed", error_code="timeout")
    h.error("r_fail", "etl", plus(q, 32), "timeout", "sig-timeout", step_key="extract")
    h.step("r_fail", "etl", "load", plus(q, 35), 5, status="failed", error_code="dependency_missing")
    h.error("r_fail", "etl", plus(q, 40), "dependency_missing", "sig-dep", step_key="load")
    h.run("r_retry", "etl", at("2024-11-10 15:00"), [("preparing", 5), ("running", 10), ("completed", 60)],
          trigger="retry", parent="r_fail", root="r_fail")

    q = at("2024-11-20 09:00")
    h.run("r2", "etl", q, [("preparing", 5), ("running", 10), ("completed", 200)])
    h.step("r2", "etl", "extract", plus(q, 15), 20, status="failed", error_code="rate_limit")
    h.error("r2", "etl", plus(q, 35), "rate_limit", "sig-new", step_key="extract", transient=True)
    h.step("r2", "etl", "extract", plus(q, 40), 30, attempt=2, wait_before_s=5)
    h.call("r2", "etl", plus(q, 45), "m-large-2", 1_000_000, 1_000_000, provider="acme", step_key="extract",
           cached=500_000)
    h.step("r2", "etl", "load", plus(q, 80), 50)

    q = at("2024-11-20 23:00")
    h.run("r_open", "etl", q, [("preparing", 30), ("running", 60)])
    h.step("r_open", "etl", "extract", plus(q, 62), 30)
    h.flush()


@pytest.fixture
def november(history, joblens_home):
    write_november(history)
    report = refresh(joblens_home)
    assert report.mode == "full"
    assert not report.failed_audits, report.failed_audits
    return report


def test_fct_runs_folds_lifecycle_steps_tokens_cost_and_root_failure(november, wh):
    runs = {r["run_id"]: r for r in wh.rows("select * from fct_runs")}
    assert set(runs) == {"r1", "r_nosteps", "r_cancel", "r_fail", "r_retry", "r2", "r_open"}
    r1 = runs["r1"]
    assert (r1["status"], r1["queue_wait_s"], r1["prep_s"], r1["duration_s"]) == ("completed", 5, 5, 90)
    assert (r1["step_count"], r1["failed_steps"], r1["step_retries"]) == (2, 0, 1)
    assert (r1["input_tokens"], r1["output_tokens"], r1["error_code"]) == (2_000_000, 1_000_000, None)
    assert r1["cost_usd"] == pytest.approx(1.0 + 10.0 + 20.0)
    assert (r1["team"], r1["job_type"], r1["day"]) == ("core", "workflow", date(2024, 11, 10))
    assert (runs["r_nosteps"]["step_count"], runs["r_nosteps"]["cost_usd"]) == (0, 0)
    cancel = runs["r_cancel"]
    assert (cancel["status"], cancel["duration_s"], cancel["queue_wait_s"]) == ("cancelled", None, None)
    failed = runs["r_fail"]
    assert (failed["status"], failed["error_code"], failed["error_signature"]) == ("failed", "timeout", "sig-timeout")
    assert failed["failed_steps"] == 2
    retry = runs["r_retry"]
    assert (retry["parent_run_id"], retry["root_run_id"], retry["trigger"]) == ("r_fail", "r_fail", "retry")
    still_running = runs["r_open"]
    assert (still_running["status"], still_running["ended_at"]) == ("running", None)
    assert still_running["day"] == date(2024, 11, 20)


def test_fct_steps_attributes_calls_to_attempts_and_prices_by_call_date(november, wh):
    steps = {(r["run_id"], r["step_key"], r["attempt"]): r for r in wh.rows("select * from fct_steps")}
    assert steps[("r1", "load", 1)]["cost_usd"] == 0
    assert steps[("r1", "load", 2)]["cost_usd"] == pytest.approx(30.0)  # acme-1: 10 in + 20 out
    assert steps[("r1", "load", 2)]["wait_before_s"] == 5
    assert steps[("r1", "extract", 1)]["cpu_s"] == 4.0
    # acme-2 from the 15th: 0.5M uncached x 5 + 0.5M cached x 1 + 1M out x 10
    assert steps[("r2", "extract", 2)]["cost_usd"] == pytest.approx(13.0)
    assert steps[("r_open", "extract", 1)]["status"] == "completed"


def test_agg_cost_daily_uses_the_price_valid_on_each_call_date(november, wh):
    got = {(r["day"].isoformat(), r["model"]): (r["cost_usd"], r["price_version"], r["calls"])
           for r in wh.rows("select * from agg_cost_daily")}
    assert got == {
        ("2024-11-10", "m-small"): (pytest.approx(1.0), "acme-1", 1),
        ("2024-11-10", "m-large-2"): (pytest.approx(30.0), "acme-1", 1),
        ("2024-11-20", "m-large-2"): (pytest.approx(13.0), "acme-2", 1),
    }


def test_agg_job_daily_and_trends_including_a_day_without_runs(november, wh):
    day = wh.one("select * from agg_job_daily where day = date '2024-11-10'")
    assert (day["runs"], day["completed"], day["failed"], day["cancelled"]) == (5, 3, 1, 1)
    assert day["success_rate"] == pytest.approx(0.75)
    assert (day["retries"], day["run_retries"]) == (1, 1)
    assert day["cost_usd"] == pytest.approx(31.0)
    assert wh.rows("select * from agg_job_daily where day = date '2024-11-11'") == []
    quiet = {r["metric"]: r for r in wh.rows("select * from agg_trends where day = date '2024-11-11'")}
    assert quiet["runs"]["value"] == 0 and quiet["cost_usd"]["value"] == 0
    assert quiet["success_rate"]["value"] is None
    assert quiet["runs"]["rolling_7d"] == 5
    assert wh.one("select count(*) as n from agg_trends")["n"] == 11 * 4


def test_failure_patterns_separate_root_cascade_and_recovered(november, wh):
    got = {r["signature"]: r for r in wh.rows("select * from failure_patterns")}
    assert got["sig-timeout"]["failure_role"] == "root"
    assert got["sig-dep"]["failure_role"] == "cascade"
    assert got["sig-net"]["failure_role"] == "recovered"
    assert got["sig-timeout"]["remediation"]
    assert got["sig-new"]["is_new"] and not got["sig-timeout"]["is_new"]
    assert (got["sig-new"]["occurrences_last_7d"], got["sig-timeout"]["occurrences_last_7d"]) == (1, 0)


def test_retry_economics_per_signature_and_job(november, wh):
    got = {r["signature"]: r for r in wh.rows("select * from retry_economics where job_name = 'etl'")}
    net = got["sig-net"]
    assert (net["failed_attempts"], net["retries"], net["retries_succeeded"]) == (1, 1, 1)
    assert (net["retry_success_rate"], net["failed_attempt_time_s"], net["retry_wait_s"]) == (1.0, 20, 5)
    timeout = got["sig-timeout"]
    assert (timeout["failed_runs"], timeout["run_retries"], timeout["run_retries_succeeded"]) == (1, 1, 1)
    assert timeout["failed_run_time_s"] == 40
    assert got["sig-dep"]["retries"] == 0 and got["sig-dep"]["retry_success_rate"] is None


def test_budgets_eta_capacity_and_step_performance(november, wh):
    budgets = {r["budget_name"]: r for r in wh.rows("select * from budget_status")}
    assert budgets["everything"]["spend_mtd_usd"] == pytest.approx(44.0)
    assert budgets["everything"]["share_used"] == pytest.approx(0.44)
    assert budgets["core-team"]["status"] == "over"
    assert budgets["large-model"]["spend_mtd_usd"] == pytest.approx(43.0)
    elapsed = (19 * 86400 + 23 * 3600 + 92) / 86400  # as_of: r_open extract ended 23:01:32
    assert budgets["everything"]["forecast_month_end_usd"] == pytest.approx(44.0 / elapsed * 30)

    eta = wh.one("select * from run_eta")
    assert (eta["run_id"], eta["status"], eta["steps_done"]) == ("r_open", "running", 1)
    assert eta["as_of"] <= eta["eta"] <= eta["eta_p90"]

    peak = wh.one("select * from agg_capacity where job_type = 'all' and not is_forecast "
                  "and hour = timestamptz '2024-11-20 23:00:00+00'")
    assert (peak["peak_concurrent_runs"], peak["runs_queued"], peak["runs_started"]) == (1, 1, 1)
    forecast = wh.rows("select * from agg_capacity where is_forecast and job_type = 'all'")
    assert len(forecast) == 30 and all(r["forecast_runs"] >= 0 for r in forecast)

    perf = {r["step_key"]: r for r in wh.rows("select * from agg_step_performance where job_name = 'etl'")}
    assert perf["extract"]["attempts"] == 3  # r2 twice, r_open once: the 10th is outside the 7 days
    assert perf["extract"]["failure_rate"] == pytest.approx(1 / 3)
    assert 0 < perf["load"]["share_of_run_time"] <= 1


def test_a_failure_recorded_by_the_op_and_by_capture_counts_once(history, joblens_home, wh):
    write_november(history)
    failed_at = history.plus(history.at("2024-11-10 14:00"), 32)
    history.error("r_fail", "etl", history.plus(failed_at, 1), "timeout", "sig-timeout", step_key="extract",
                  source="dagster", message="captured from the event log")
    history.flush()
    refresh(joblens_home)
    kept = wh.rows("select message from fct_errors where run_id = 'r_fail' and step_key = 'extract'")
    assert kept == [{"message": "captured from the event log"}]
    assert wh.one("select occurrences from failure_patterns where signature = 'sig-timeout'")["occurrences"] == 1
