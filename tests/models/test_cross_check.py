"""Cross-check: on simulated history, the models' metrics equal the same metrics computed
here, independently, from the raw lake rows with Polars (no model SQL reused).

The history spans 2024-10-02, when the gpt-4o price changed, so the cost check also
covers a price change in the middle of the history; it ends live, with runs still
queued or running.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase

import duckdb
import polars as pl
import pytest

from pipelines.home import Home
from pipelines.lake.reader import connect
from pipelines.models.refresh import refresh, refresh_days
from pipelines.models.simulator import simulate
from pipelines.telemetry.prices import load_prices

END = date(2024, 10, 6)
DAYS = 10
TERMINAL = ("completed", "failed", "cancelled")
RANK = {"queued": 1, "preparing": 2, "running": 3}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Home:
    home = Home(tmp_path_factory.mktemp("cross") / "home").ensure()
    simulate(home.lake, days=DAYS, runs_per_day=60, seed=11, end_date=END)
    report = refresh(home, full=True)
    assert report.mode == "full" and not report.failed_audits
    return home


@pytest.fixture(scope="module")
def lake(simulated) -> dict[str, pl.DataFrame]:
    con = connect(simulated.lake, tables=("runs", "steps", "errors", "model_calls"))
    try:
        return {t: pl.from_arrow(con.table(t).to_arrow_table()) for t in ("runs", "steps", "errors", "model_calls")}
    finally:
        con.close()


def model(home: Home, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return pl.from_arrow(con.sql(sql).to_arrow_table())
    finally:
        con.close()


def runs_from_transitions(runs: pl.DataFrame) -> pl.DataFrame:
    """One row per run, folded in Python: first terminal status wins, else the furthest state."""
    out = []
    for (run_id,), group in runs.sort("ts").group_by(["run_id"], maintain_order=True):
        rows = group.to_dicts()
        terminal = [r for r in rows if r["status"] in TERMINAL]
        running = [r["ts"] for r in rows if r["status"] == "running"]
        queued = [r["ts"] for r in rows if r["status"] == "queued"] or [rows[0]["ts"]]
        ended = terminal[0]["ts"] if terminal else None
        status = terminal[0]["status"] if terminal else max(rows, key=lambda r: RANK[r["status"]])["status"]
        names = [r["job_name"] for r in rows if r["job_name"] is not None]
        out.append({
            "run_id": run_id, "job_name": names[-1] if names else "unknown", "status": status,
            "duration_s": (ended - running[0]).total_seconds() if ended and running else None,
            "day": (ended or queued[0]).date(),
        })
    return pl.DataFrame(out)


def step_retries_per_run(steps: pl.DataFrame) -> pl.DataFrame:
    attempts = steps.select("run_id", "step_key", "attempt").unique()
    return attempts.group_by("run_id").agg(
        retries=(pl.len() - pl.col("step_key").n_unique()).cast(pl.Int64))


def test_runs_outcomes_success_rate_p95_and_retries_per_job_and_day(simulated, lake):
    runs = runs_from_transitions(lake["runs"]).join(step_retries_per_run(lake["steps"]), on="run_id", how="left")
    expected = runs.group_by("day", "job_name").agg(
        runs=pl.len(),
        completed=(pl.col("status") == "completed").sum(),
        failed=(pl.col("status") == "failed").sum(),
        p95_duration_s=pl.col("duration_s").quantile(0.95, interpolation="linear"),
        retries=pl.col("retries").fill_null(0).sum(),
    ).with_columns(success_rate=pl.col("completed") / pl.when((pl.col("completed") + pl.col("failed")) > 0)
                   .then(pl.col("completed") + pl.col("failed")))
    got = model(simulated, "select day, job_name, runs, completed, failed, success_rate, p95_duration_s, retries "
                           "from agg_job_daily")
    assert got.height == expected.height > DAYS * 3
    both = expected.join(got, on=["day", "job_name"], how="full", suffix="_model", coalesce=True)
    for row in both.to_dicts():
        key = (row["day"], row["job_name"])
        for column in ("runs", "completed", "failed", "retries"):
            assert row[column] == row[f"{column}_model"], (key, column, row)
        for column in ("success_rate", "p95_duration_s"):
            assert close(row[column], row[f"{column}_model"]), (key, column, row)
    assert expected["retries"].sum() > 0 and expected["failed"].sum() > 0
    assert (expected["success_rate"].is_null()).sum() < expected.height


def close(a, b, rel=1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def price_table() -> list[dict]:
    return load_prices().to_pylist()


def usd_per_million(prices: list[dict], provider: str, model_name: str, usage: str, day: date) -> float | None:
    """The price in force on ``day``: this provider and usage, the longest matching pattern."""
    matching = [p for p in prices if p["provider"] == provider and p["usage_type"] == usage
                and p["effective_from"] <= day and (p["effective_to"] is None or day < p["effective_to"])
                and fnmatchcase(model_name, p["model_pattern"])]
    return max(matching, key=lambda p: len(p["model_pattern"]))["usd_per_million_tokens"] if matching else None


def call_cost(prices: list[dict], call: dict) -> float:
    day = call["ts"].date()
    price = {u: usd_per_million(prices, call["provider"], call["model"], u, day)
             for u in ("input", "cached_input", "output")}
    cached = call["cached_input_tokens"] or 0
    uncached = max((call["input_tokens"] or 0) - cached, 0)
    cached_price = price["cached_input"] if price["cached_input"] is not None else price["input"]
    return (uncached * (price["input"] or 0) + cached * (cached_price or 0)
            + (call["output_tokens"] or 0) * (price["output"] or 0)) / 1e6


def test_cost_per_model_and_day_priced_with_the_price_of_the_call_date(simulated, lake):
    prices = price_table()
    calls = lake["model_calls"]
    costed = calls.with_columns(
        day=pl.col("ts").dt.date(),
        cost_usd=pl.Series([call_cost(prices, c) for c in calls.to_dicts()], dtype=pl.Float64),
    )
    expected = costed.group_by("day", "provider", "model").agg(
        calls=pl.len(), input_tokens=pl.col("input_tokens").sum(), cost_usd=pl.col("cost_usd").sum())
    got = model(simulated, "select day, provider, model, sum(calls) as calls, sum(input_tokens) as input_tokens, "
                           "sum(cost_usd) as cost_usd from agg_cost_daily group by all")
    both = expected.join(got, on=["day", "provider", "model"], how="full", suffix="_model", coalesce=True)
    assert both.height == expected.height == got.height
    for row in both.to_dicts():
        assert row["calls"] == row["calls_model"] and row["input_tokens"] == row["input_tokens_model"], row
        assert close(row["cost_usd"], row["cost_usd_model"]), row
    gpt4o = costed.filter(pl.col("model") == "gpt-4o")
    before = gpt4o.filter(pl.col("day") < date(2024, 10, 2))
    after = gpt4o.filter(pl.col("day") >= date(2024, 10, 2))
    assert before.height and after.height, "the history must straddle the gpt-4o price change"
    assert costed.filter(pl.col("provider") == "local")["cost_usd"].sum() == 0
    total = model(simulated, "select sum(cost_usd) as c from fct_runs")["c"][0]
    assert close(total, costed["cost_usd"].sum())


def test_failure_pattern_occurrences_runs_and_windows_per_signature(simulated, lake):
    errors = lake["errors"].with_columns(signature=pl.coalesce("signature", pl.lit("code:") + pl.col("error_code")))
    as_of = latest_event(lake)
    expected = errors.group_by("signature").agg(
        occurrences=pl.len(),
        runs_affected=pl.col("run_id").n_unique(),
        jobs_affected=pl.col("job_name").n_unique(),
        first_seen=pl.col("ts").min(),
        last_seen=pl.col("ts").max(),
        occurrences_last_7d=(pl.col("ts") > as_of - timedelta(days=7)).sum(),
        occurrences_prev_7d=((pl.col("ts") > as_of - timedelta(days=14))
                             & (pl.col("ts") <= as_of - timedelta(days=7))).sum(),
    )
    got = model(simulated, "select signature, occurrences, runs_affected, jobs_affected, first_seen, last_seen, "
                           "occurrences_last_7d, occurrences_prev_7d from failure_patterns")
    assert got.height == expected.height > 1
    assert expected.join(got, on="signature", how="anti").height == 0
    assert (expected.sort("signature").to_dicts() == got.select(expected.columns).sort("signature").to_dicts())
    assert model(simulated, "select as_of from int_as_of")["as_of"][0] == as_of


def latest_event(lake: dict[str, pl.DataFrame]) -> datetime:
    steps = lake["steps"].filter(pl.col("status") != "usage")
    return max(lake["runs"]["ts"].max(), steps["ended_at"].max(), steps["started_at"].max())


def test_step_retries_and_their_outcomes_per_signature_and_job(simulated, lake):
    attempts = (lake["steps"].filter(~pl.col("status").is_in(["usage", "started"]))
                .select("run_id", "step_key", "attempt", "status"))
    following = attempts.select("run_id", "step_key", attempt=pl.col("attempt") - 1, next_status="status")
    errors = (lake["errors"].filter(pl.col("step_key").is_not_null())
              .join(following, on=["run_id", "step_key", "attempt"], how="left"))
    expected = errors.group_by("signature", "job_name").agg(
        failed_attempts=pl.len(),
        retries=pl.col("next_status").is_not_null().sum(),
        retries_succeeded=(pl.col("next_status") == "completed").sum(),
    )
    got = model(simulated, "select signature, job_name, failed_attempts, retries, retries_succeeded "
                           "from retry_economics where failed_attempts > 0")
    assert expected["retries"].sum() > 0
    assert expected.sort("signature", "job_name").to_dicts() == got.select(expected.columns).sort(
        "signature", "job_name").to_dicts()


WAREHOUSE_TABLES = ("fct_runs", "fct_steps", "fct_errors", "agg_job_daily", "agg_cost_daily", "failure_patterns",
                    "retry_economics", "agg_step_performance", "agg_trends", "agg_capacity", "run_eta",
                    "budget_status", "int_as_of")


def snapshot(home: Home) -> dict[str, pl.DataFrame]:
    return {t: model(home, f"select * from {t} order by all") for t in WAREHOUSE_TABLES}


def assert_same(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    for table in WAREHOUSE_TABLES:
        assert got[table].equals(expected[table]), table


def test_a_new_day_refreshed_incrementally_equals_a_full_rebuild(tmp_path):
    """The clock moves a day: rolling windows, hourly capacity and the merged facts must be
    exactly what a rebuild from scratch gives, bit for bit (sums included)."""
    home = Home(tmp_path / "grown").ensure()
    simulate(home.lake, days=8, runs_per_day=40, seed=5, end_date=END)
    refresh(home, full=True)
    simulate(home.lake, days=1, runs_per_day=40, seed=6, end_date=END + timedelta(days=1))
    report = refresh(home)
    assert report.mode == "incremental" and report.lake_days[-1] == (END + timedelta(days=1)).isoformat()
    assert not report.failed_audits
    incremental = snapshot(home)
    assert incremental["int_as_of"]["as_of_day"][0] == END + timedelta(days=1)
    refresh(home, full=True)
    assert_same(snapshot(home), incremental)


def test_refreshing_days_again_changes_nothing(simulated):
    before = snapshot(simulated)
    refresh_days(simulated, [END.isoformat(), (END - timedelta(days=3)).isoformat()])
    assert_same(snapshot(simulated), before)
