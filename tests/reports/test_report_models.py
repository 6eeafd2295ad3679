"""The report queries that read agg_step_daily, agg_retry_daily and fct_incidents give what
the same queries over the raw facts gave (``raw_queries/``: the step attempts of fct_steps
and the runs of fct_runs), for every period; and what the reports show equals the models.

The one intended difference: a step's p50 and p95 over more than one day are the
attempt-weighted mean of its daily values, which the slowest-steps caption says.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from reports.model import Metric, Table
from reports.warehouse import fetch, query_text

RAW = Path(__file__).with_name("raw_queries")
KEYS = ("job_name", "step_key", "error_code", "is_current")
WEEK = (date(2026, 11, 16), date(2026, 11, 23))  # the weekly report's period at NOW
DAY = date(2026, 11, 28)  # the daily report's


@pytest.fixture
def con(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set timezone = 'UTC'")
    yield con
    con.close()


def periods(con, teams=(None, "support")):
    """Every day, every 7 days and every 30 days from each day, each with and without a team."""
    first, last = con.execute("select min(day), max(day) from fct_runs").fetchone()
    for offset in range((last - first).days + 1):
        start = first + timedelta(days=offset)
        for days in (1, 7, 30):
            end = start + timedelta(days=days)
            for team in teams:
                yield {"start": start, "end": end, "prev_start": start - (end - start), "prev_end": start,
                       "team": team, "limit": 1000, "min_change": 0.25}


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _keyed(rows: list[dict]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in KEYS if k in r): r for r in rows}


def _differences(con, name: str, params: dict, skip: set[str] = frozenset()) -> list:
    raw = _keyed(fetch(con, (RAW / f"{name}.sql").read_text(), params))
    new = _keyed(fetch(con, query_text(name), params))
    if raw.keys() != new.keys():
        return [("rows", sorted(raw), sorted(new))]
    return [(key, column, raw[key][column], new[key][column]) for key in raw for column in raw[key]
            if column not in skip and not _same(raw[key][column], new[key][column])]


@pytest.mark.parametrize("name", ["mttr", "retries", "wasted_cost", "expensive_steps"])
def test_queries_over_the_models_equal_the_raw_facts_for_every_period(con, name):
    compared = 0
    for params in periods(con):
        assert _differences(con, name, params) == [], (params["start"], params["end"], params["team"])
        compared += 1
    assert compared > 300


def test_step_statistics_equal_the_raw_facts_and_one_day_percentiles_too(con):
    for params in periods(con, teams=(None,)):
        one_day = (params["end"] - params["start"]).days == 1
        skip = set() if one_day else {"p50_duration_s", "p95_duration_s"}
        assert _differences(con, "steps", params, skip) == [], (params["start"], params["end"])


def test_longer_periods_weight_the_daily_step_percentiles_by_attempts(con):
    params = {"start": WEEK[0], "end": WEEK[1], "team": None}
    rows = {(r["job_name"], r["step_key"]): r for r in fetch(con, query_text("steps"), params)}
    daily = con.execute("select job_name, step_key, attempts, p95_duration_s from agg_step_daily "
                        "where day >= ? and day < ?", list(WEEK)).fetchall()
    weighted: dict[tuple, list[float]] = {}
    for job, step, attempts, p95 in daily:
        sums = weighted.setdefault((job, step), [0.0, 0])
        sums[0] += p95 * attempts
        sums[1] += attempts
    assert rows.keys() == weighted.keys()
    for key, (total, attempts) in weighted.items():
        assert rows[key]["p95_duration_s"] == pytest.approx(total / attempts)
        assert rows[key]["attempts"] == attempts


def test_the_periods_compared_cover_incidents_cut_by_their_edges(con):
    """Some incidents began a day before their last failure, some recovered a day after it."""
    before = con.execute("select count(*) from fct_incidents where day < last_failed_day").fetchone()[0]
    open_at_end = con.execute("select count(*) from fct_incidents where recovered_at::date > last_failed_day").fetchone()[0]
    assert before > 0 and open_at_end > 0


def _table(report, title) -> Table:
    return next(b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.title == title)


def _metric(report, label) -> Metric:
    return next(m for s in report.sections for m in s.metrics if m.label == label)


def test_reliability_report_shows_the_incidents_and_retries_of_the_models(build, con):
    report = build("reliability", "weekly")
    incidents = con.execute(
        "select job_name, started_at, recovered_at from fct_incidents where day >= ? and day < ?", list(WEEK)).fetchall()
    assert con.execute("select count(*) from fct_incidents where day < ? and last_failed_day >= ?",
                       list(WEEK)).fetchone()[0] == 0, "no incident of this week began before it"
    recovered = [(r - s).total_seconds() for _, s, r in incidents if r is not None and r.date() < WEEK[1]]
    assert _metric(report, "Incidents").value == len(incidents)
    assert _metric(report, "Mean time to recover").value == pytest.approx(sum(recovered) / len(recovered))
    by_job = {r["job_name"]: r for r in _table(report, "Time to recover by job").rows}
    assert sum(r["incidents"] for r in by_job.values()) == len(incidents)

    retries = _table(report, "Retry economics").rows
    model = {(j, c): (won, retried, failed) for j, c, won, retried, failed in con.execute(
        "select job_name, error_code, sum(won_back_steps), sum(retried_steps), sum(failed_attempts) "
        "from agg_retry_daily where day >= ? and day < ? group by all", list(WEEK)).fetchall()}
    assert retries and any(r["retry_success_rate"] for r in retries)
    for row in retries:
        won, retried, failed = model[(row["job_name"], row["error_code"])]
        assert row["failed_attempts"] == failed
        assert row["retry_success_rate"] == (pytest.approx(won / retried) if retried else None)


def test_performance_report_shows_the_step_percentiles_of_agg_step_daily(build, con):
    daily = _table(build("performance", "daily"), "Slowest steps")
    assert daily.note == ""  # one day: the model's own percentiles
    for row in daily.rows:
        p50, p95 = con.execute(
            "select p50_duration_s, p95_duration_s from agg_step_daily "
            "where day = ? and job_name = ? and step_key = ?", [DAY, row["job_name"], row["step_key"]]).fetchone()
        assert (row["p50_duration_s"], row["p95_duration_s"]) == (pytest.approx(p50), pytest.approx(p95))
    weekly = _table(build("performance", "weekly"), "Slowest steps")
    assert "attempt-weighted mean of the daily p50 and p95 (agg_step_daily)" in weekly.note


def test_cost_report_shows_the_waste_and_step_cost_of_the_models(build, con):
    report = build("cost", "weekly")
    wasted = con.execute("select sum(failed_attempt_cost_usd) from agg_retry_daily where day >= ? and day < ?",
                         list(WEEK)).fetchone()[0]
    assert _metric(report, "Wasted on failed attempts").value == pytest.approx(wasted)
    for row in _table(report, "Most expensive steps").rows:
        cost, attempts = con.execute(
            "select sum(cost_usd), sum(costed_attempts) from agg_step_daily "
            "where day >= ? and day < ? and job_name = ? and step_key = ?", [*WEEK, row["job_name"], row["step_key"]]).fetchone()
        assert (row["cost_usd"], row["attempts"]) == (pytest.approx(cost), attempts)


def test_a_warehouse_refreshed_before_these_models_says_to_refresh(build, warehouse):
    from reports.errors import ReportError

    con = duckdb.connect(str(warehouse))
    con.execute("drop table fct_incidents")
    con.execute("create schema other")
    con.execute("create table other.fct_incidents as select 1 as x")  # not the model: another schema
    con.close()
    with pytest.raises(ReportError, match=r"no table fct_incidents; run `joblens refresh` first"):
        build("reliability", "weekly")
