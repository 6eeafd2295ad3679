"""Incremental refresh: only changed lake days are recomputed, re-runs are idempotent,
and the Dagster assets materialize the same warehouse with every audit check passing."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.models.assets import build_model_assets
from pipelines.models.refresh import refresh, refresh_days
from pipelines.models.resources import WarehouseResource

TABLES = ("fct_runs", "fct_steps", "fct_errors", "agg_job_daily", "agg_cost_daily", "failure_patterns",
          "agg_step_performance", "agg_trends", "agg_capacity", "run_eta", "budget_status", "retry_economics")


def day_of_runs(h, day: str, prefix: str, count: int = 3) -> None:
    for i in range(count):
        q = h.at(f"{day} {10 + i}:00")
        h.run(f"{prefix}{i}", "etl", q, [("preparing", 5), ("running", 10), ("completed", 70)])
        h.step(f"{prefix}{i}", "etl", "extract", h.plus(q, 12), 30)
        h.call(f"{prefix}{i}", "etl", h.plus(q, 20), "m-small", 1000, 10, provider="acme", step_key="extract")
    h.flush()


def snapshot(wh) -> dict:
    return {t: wh.rows(f"select * from {t} order by all") for t in TABLES}


def test_a_new_day_refreshes_only_that_day_and_is_idempotent(history, joblens_home, wh):
    day_of_runs(history, "2024-11-01", "a")
    day_of_runs(history, "2024-11-02", "b")
    assert refresh(joblens_home).mode == "full"
    assert refresh(joblens_home).mode == "up_to_date"

    day_of_runs(history, "2024-11-03", "c", count=2)
    report = refresh(joblens_home)
    assert (report.mode, report.lake_days, report.runs_recomputed) == ("incremental", ["2024-11-03"], 2)
    merged = {m.name: m.rows_written for m in report.models if m.action == "merged"}
    assert merged["fct_runs"] == 2 and merged["agg_job_daily"] == 1
    assert not report.failed_audits
    days = {r["day"].isoformat(): r["runs"] for r in wh.rows("select day, runs from agg_job_daily")}
    assert days == {"2024-11-01": 3, "2024-11-02": 3, "2024-11-03": 2}

    before = snapshot(wh)
    again = refresh_days(joblens_home, ["2024-11-03"])
    assert again.runs_recomputed == 2
    assert snapshot(wh) == before
    refresh(joblens_home, full=True)
    assert snapshot(wh) == before


def test_a_late_event_completes_a_run_queued_the_day_before(history, joblens_home, wh):
    q = history.at("2024-11-01 23:50")
    history.run("late", "etl", q, [("preparing", 5), ("running", 10)])
    history.step("late", "etl", "extract", history.plus(q, 12), 30)
    history.flush()
    refresh(joblens_home)
    assert wh.one("select status, day from fct_runs")["status"] == "running"
    history.writer.add("runs", {"id": "late:completed", "run_id": "late", "ts": history.at("2024-11-02 00:20"),
                                "status": "completed", "job_name": "etl", "job_type": "workflow",
                                "trigger": "schedule"})
    history.flush()
    report = refresh(joblens_home)
    assert report.lake_days == ["2024-11-02"]
    run = wh.one("select * from fct_runs")
    assert (run["status"], run["day"].isoformat(), run["step_count"]) == ("completed", "2024-11-02", 1)
    daily = {r["day"].isoformat(): (r["runs"], r["completed"]) for r in wh.rows("select * from agg_job_daily")}
    assert daily == {"2024-11-02": (1, 1)}  # the run moved off the day it was queued


def test_a_price_change_reprices_history(history, joblens_home, wh, tmp_path, monkeypatch):
    day_of_runs(history, "2024-11-01", "a", count=1)
    refresh(joblens_home)
    assert wh.one("select sum(cost_usd) as c from agg_cost_daily")["c"] == pytest.approx((1000 + 20) / 1e6)
    cheaper = tmp_path / "cheaper.csv"
    cheaper.write_text("provider,model_pattern,usage_type,usd_per_million_tokens,effective_from,effective_to,"
                       "price_version\nacme,m*,input,0.5,2024-01-01,,acme-3\nacme,m*,output,1.0,2024-01-01,,acme-3\n")
    monkeypatch.setenv("JOBLENS_PRICES", str(cheaper))
    assert refresh(joblens_home).mode == "full"
    assert wh.one("select sum(cost_usd) as c from fct_runs")["c"] == pytest.approx((500 + 10) / 1e6)


def test_dagster_materializes_every_model_with_passing_checks_and_again_identically(history, joblens_home, wh):
    day_of_runs(history, "2024-11-01", "a")
    assets = build_model_assets()
    resources = {"warehouse": WarehouseResource(home=str(joblens_home.root))}
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([assets], resources=resources, instance=instance)
    assert first.success
    keys = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
    assert set(TABLES) - {"fct_errors"} <= keys
    checks = first.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    before = snapshot(wh)
    config = dg.RunConfig({"sql_models": {"config": {"full": True}}})
    second = dg.materialize([assets], resources=resources, instance=instance, run_config=config)
    assert second.success and all(c.passed for c in second.get_asset_check_evaluations())
    assert snapshot(wh) == before


def test_an_audit_that_finds_bad_rows_fails_its_check(history, joblens_home):
    day_of_runs(history, "2024-11-01", "a", count=1)
    history.step("a0", "etl", "broken", history.at("2024-11-01 10:30"), -5)
    history.flush()
    report = refresh(joblens_home)
    failed = {(a.model, a.name) for a in report.failed_audits}
    assert ("fct_steps", "not_negative") in failed


def test_an_incremental_refresh_audits_the_rows_it_wrote(history, joblens_home):
    day_of_runs(history, "2024-11-01", "a", count=1)
    assert not refresh(joblens_home).failed_audits
    day_of_runs(history, "2024-11-02", "b", count=1)
    history.step("b0", "etl", "broken", history.at("2024-11-02 10:30"), -5)
    history.flush()
    report = refresh(joblens_home)
    assert report.mode == "incremental"
    bad = {(a.model, a.name): a.bad_rows for a in report.failed_audits}
    assert bad == {("fct_steps", "not_negative"): 1}
    assert {a.model for a in report.audits} >= {"fct_steps", "agg_trends", "agg_capacity", "failure_patterns"}


def test_refreshing_some_models_without_the_clock_uses_the_stored_clock(history, joblens_home, wh):
    day_of_runs(history, "2024-11-01", "a")
    day_of_runs(history, "2024-11-02", "b")
    refresh(joblens_home)
    before = {t: wh.rows(f"select * from {t} order by all") for t in ("agg_trends", "agg_capacity", "run_eta")}
    assert before["agg_trends"] and before["agg_capacity"]
    report = refresh(joblens_home, full=True, models=["agg_trends", "agg_capacity", "run_eta"])
    assert {m.name for m in report.models if m.action == "rebuilt"} == {"agg_trends", "agg_capacity", "run_eta"}
    assert {t: wh.rows(f"select * from {t} order by all") for t in before} == before
