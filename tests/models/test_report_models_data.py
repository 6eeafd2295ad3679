"""The models built for the reports, as data: hand-written lake rows in, expected rows out.

agg_step_daily, agg_retry_daily and fct_incidents over 4-8 November 2024, written in
four batches as capture would land them: a step retried and won back, a step retried
in vain, a failed step without an error code, retries after midnight, a step that starts
on the middle day of a three-day run and ends on the last, two runs ending at the same
instant (the success counts first), cancelled runs, an incident still open over two refreshes.
Each batch is refreshed incrementally and must equal a full rebuild, bit for bit.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.models.refresh import refresh

TABLES = ("agg_step_daily", "agg_retry_daily", "fct_incidents")


def _end(h, run_id: str, job: str, ts, status: str) -> None:
    """A run's terminal transition on its own, landing later than the rest of the run."""
    h.writer.add("runs", {"id": f"{run_id}:{status}", "run_id": run_id, "ts": ts, "status": status,
                          "job_name": job, "job_type": "workflow", "team": "core", "trigger": "schedule",
                          "priority": 0, "parent_run_id": None, "root_run_id": None})


def first_day(h) -> None:
    """2024-11-04: etl fails twice and recovers; sync's failure ties with a success, then fails again."""
    at, plus = h.at, h.plus
    q = at("2024-11-04 10:00")
    h.run("r1", "etl", q, [("preparing", 5), ("running", 10), ("completed", 100)])
    h.step("r1", "etl", "extract", plus(q, 12), 30, cpu_s=4.0, rss_mb=300.0)
    h.call("r1", "etl", plus(q, 20), "m-small", 1_000_000, 0, provider="acme", step_key="extract")
    h.step("r1", "etl", "load", plus(q, 45), 20, status="failed", error_code="network")
    h.step("r1", "etl", "load", plus(q, 70), 25, attempt=2, wait_before_s=5)

    q = at("2024-11-04 11:00")
    h.run("r2", "etl", q, [("preparing", 5), ("running", 10), ("failed", 50)])
    h.step("r2", "etl", "extract", plus(q, 12), 20, status="failed", error_code="timeout")
    h.step("r2", "etl", "cleanup", plus(q, 33), 5, status="failed")

    q = at("2024-11-04 12:00")
    h.run("r3", "etl", q, [("preparing", 5), ("running", 10), ("failed", 60)])
    h.step("r3", "etl", "extract", plus(q, 12), 20, status="up_for_retry", error_code="rate_limit")
    h.step("r3", "etl", "extract", plus(q, 40), 10, status="failed", attempt=2, error_code="rate_limit",
           wait_before_s=8)
    h.call("r3", "etl", plus(q, 45), "m-small", 500_000, 0, provider="acme", step_key="extract")

    h.run("r4", "etl", at("2024-11-04 13:00"), [("cancelled", 30)])
    q = at("2024-11-04 14:00")
    h.run("r5", "etl", q, [("preparing", 5), ("running", 10), ("completed", 60)])
    h.step("r5", "etl", "extract", plus(q, 12), 40)

    # s1 fails and s2 succeeds at the same instant: the success counts first
    h.run("s1", "sync", at("2024-11-04 09:00"), [("running", 10), ("failed", 60)])
    h.run("s2", "sync", at("2024-11-04 09:00:30"), [("running", 10), ("completed", 30)])
    h.run("s3", "sync", at("2024-11-04 09:59"), [("running", 10), ("completed", 60)])
    h.run("s4", "sync", at("2024-11-04 19:59"), [("running", 10), ("failed", 60)])
    h.flush()


def second_day(h) -> None:
    """2024-11-05: sync fails again (still open); r7, queued the day before, starts a long step."""
    at = h.at
    h.run("s5", "sync", at("2024-11-05 11:59"), [("running", 10), ("failed", 60)])
    h.run("r7", "etl", at("2024-11-04 22:00"), [("preparing", 5), ("running", 10)])
    h.step("r7", "etl", "long", at("2024-11-05 10:00"), 0, status="running")
    h.flush()


def third_day(h) -> None:
    """2024-11-06/07: r7's long step ends (none of r7's days is the 5th, when it started); r6
    fails a step before midnight and wins it back at the third attempt after it; s6 starts."""
    at = h.at
    h.writer.add("steps", {"id": "r7:long:1:end", "run_id": "r7", "ts": at("2024-11-06 02:00"), "job_name": "etl",
                           "step_key": "long", "attempt": 1, "status": "completed",
                           "ended_at": at("2024-11-06 02:00"), "duration_s": 57600.0, "source": "dagster"})
    _end(h, "r7", "etl", at("2024-11-06 02:10"), "completed")
    h.run("r6", "etl", at("2024-11-06 23:50"), [("preparing", 5), ("running", 10), ("completed", 1200)])
    h.step("r6", "etl", "extract", at("2024-11-06 23:52"), 180, status="up_for_retry", error_code="network")
    h.step("r6", "etl", "extract", at("2024-11-07 00:05"), 60, attempt=2, status="up_for_retry",
           error_code="network", wait_before_s=600)
    h.step("r6", "etl", "extract", at("2024-11-07 00:07"), 30, attempt=3, wait_before_s=60)
    h.run("s6", "sync", at("2024-11-07 07:59"), [("running", 10)])
    h.flush()


def fourth_day(h) -> None:
    """2024-11-08: s6 ends, sync recovers. This refresh starts from the 7th, when s6 was queued:
    r6's attempts of the 7th are read, but its step counts on the 6th; sync's earlier runs are
    read only on its last day with a success (the 4th) and its failing days since (the 5th)."""
    _end(h, "s6", "sync", h.at("2024-11-08 08:00"), "completed")
    h.flush()


def snapshot(wh) -> dict[str, list[dict]]:
    return {t: wh.rows(f"select * from {t} order by all") for t in TABLES}


def refresh_equals_a_rebuild(home, wh, mode: str) -> dict[str, list[dict]]:
    report = refresh(home)
    assert report.mode == mode and not report.failed_audits, report.failed_audits
    got = snapshot(wh)
    refresh(home, full=True)
    assert snapshot(wh) == got
    return got


@pytest.fixture
def four_days(history, joblens_home, wh) -> dict[str, list[dict]]:
    """The four batches, each refreshed (incrementally after the first) and checked against a rebuild."""
    first_day(history)
    refresh_equals_a_rebuild(joblens_home, wh, "full")
    for batch in (second_day, third_day, fourth_day):
        batch(history)
        got = refresh_equals_a_rebuild(joblens_home, wh, "incremental")
    return got


def _by(rows: list[dict], *keys: str) -> dict[tuple, dict]:
    return {tuple(str(r[k]) for k in keys): r for r in rows}


def test_agg_step_daily_per_day_job_and_step(four_days):
    got = _by(four_days["agg_step_daily"], "day", "step_key")
    extract = got[("2024-11-04", "extract")]  # r1 30 s, r2 20 failed, r3 20 + 10 failed, r5 40
    assert (extract["attempts"], extract["failed_attempts"], extract["retries"]) == (5, 3, 1)
    assert (extract["p50_duration_s"], extract["p95_duration_s"], extract["max_duration_s"]) == (20, 38, 40)
    assert (extract["total_duration_s"], extract["failed_duration_s"]) == (120, 50)
    assert (extract["cpu_attempts"], extract["total_cpu_s"], extract["avg_cpu_s"]) == (1, 4, 4)
    assert (extract["memory_attempts"], extract["max_peak_rss_mb"], extract["avg_peak_rss_mb"]) == (1, 300, 300)
    assert (extract["costed_attempts"], extract["costed_tokens"], extract["input_tokens"]) == (2, 1_500_000, 1_500_000)
    assert (extract["cost_usd"], extract["failed_cost_usd"]) == (pytest.approx(1.5), pytest.approx(0.5))
    load = got[("2024-11-04", "load")]
    assert (load["attempts"], load["p50_duration_s"], load["p95_duration_s"]) == (2, 22.5, 24.75)
    assert (load["cpu_attempts"], load["avg_cpu_s"], load["avg_peak_rss_mb"], load["cost_usd"]) == (0, None, None, 0)
    # r6's attempts count on the day each started; r7's long step on the day it started
    before, after = got[("2024-11-06", "extract")], got[("2024-11-07", "extract")]
    assert (before["attempts"], before["failed_attempts"], after["attempts"], after["failed_attempts"], after["retries"]) == (1, 1, 2, 1, 2)
    assert (got[("2024-11-05", "long")]["max_duration_s"], got[("2024-11-05", "long")]["attempts"]) == (57600, 1)
    assert set(got) == {("2024-11-04", "extract"), ("2024-11-04", "load"), ("2024-11-04", "cleanup"),
                        ("2024-11-05", "long"), ("2024-11-06", "extract"), ("2024-11-07", "extract")}


def test_agg_retry_daily_counts_a_failed_step_on_its_first_failure_day(four_days):
    got = {(str(r["day"]), r["error_code"]): (r["failed_steps"], r["failed_attempts"], r["retries"],
                                              r["retried_steps"], r["won_back_steps"], r["failed_attempt_s"],
                                              r["retry_wait_s"], r["failed_attempt_cost_usd"])
           for r in four_days["agg_retry_daily"]}
    assert got == {
        ("2024-11-04", "network"): (1, 1, 1, 1, 1, 20, 5, 0),       # r1 load: retried and won back
        ("2024-11-04", "timeout"): (1, 1, 0, 0, 0, 20, 0, 0),       # r2 extract: not retried
        ("2024-11-04", "unknown"): (1, 1, 0, 0, 0, 5, 0, 0),        # r2 cleanup: no error code
        ("2024-11-04", "rate_limit"): (1, 2, 1, 1, 0, 30, 8, pytest.approx(0.5)),  # r3: retried in vain
        ("2024-11-06", "network"): (1, 2, 2, 1, 1, 240, 660, 0),    # r6: won back after midnight
    }
    assert {r["job_name"] for r in four_days["agg_retry_daily"]} == {"etl"}


def test_fct_incidents_from_first_failure_to_next_success(four_days, wh):
    got = {(r["job_name"], str(r["started_at"])): r for r in four_days["fct_incidents"]}
    assert set(got) == {("etl", "2024-11-04 11:00:50+00:00"), ("sync", "2024-11-04 09:01:00+00:00"),
                        ("sync", "2024-11-04 20:00:00+00:00")}
    etl = got[("etl", "2024-11-04 11:00:50+00:00")]  # r2, r3 failed; r4 cancelled; r5 recovered
    assert (etl["first_failed_run_id"], etl["failed_runs"], etl["recovery_run_id"]) == ("r2", 2, "r5")
    assert (etl["time_to_recover_s"], etl["day"], etl["last_failed_day"]) == (3 * 3600 + 10, date(2024, 11, 4), date(2024, 11, 4))
    tie = got[("sync", "2024-11-04 09:01:00+00:00")]  # s2 ended with s1, counts first: s3 recovers
    assert (tie["first_failed_run_id"], tie["recovery_run_id"], tie["time_to_recover_s"]) == ("s1", "s3", 3540)
    carried = got[("sync", "2024-11-04 20:00:00+00:00")]  # open over two refreshes, recovered by s6
    assert (carried["failed_runs"], carried["last_failed_day"], carried["recovery_run_id"]) == (2, date(2024, 11, 5), "s6")
    assert carried["time_to_recover_s"] == 84 * 3600
    assert all(r["last_day"] == (r["recovered_at"].date() if r["recovered_at"] else None) for r in got.values())


def test_an_open_incident_ends_on_the_clock_day(history, joblens_home, wh):
    first_day(history)
    second_day(history)
    refresh(joblens_home)
    open_incident = wh.one("select * from fct_incidents where recovered_at is null")
    assert (open_incident["job_name"], open_incident["failed_runs"]) == ("sync", 2)
    assert open_incident["time_to_recover_s"] is None
    assert open_incident["last_day"] == wh.one("select as_of_day from int_as_of")["as_of_day"] == date(2024, 11, 5)
