"""A full refresh folds the run-keyed facts a few lake days at a time: the warehouse must be
the same, bit for bit, as one pass over the whole lake, runs crossing a chunk's edge
included; and a refresh killed between chunks must leave the warehouse as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from pipelines.home import Home
from pipelines.models.chunked import BUILD_SUFFIX, plan_chunks
from pipelines.models.refresh import refresh
from pipelines.models.simulator import simulate
from tests.models.test_cross_check import assert_same, model, snapshot

ONE_PASS = 1 << 40  # a budget no test lake reaches: one chunk
ONE_DAY = 1  # every day its own chunk


def test_plan_groups_consecutive_days_within_the_budget(history, joblens_home):
    for day in ("2024-11-01", "2024-11-02", "2024-11-03"):
        history.run(f"r{day}", "etl", history.at(f"{day} 10:00"), [("running", 5), ("completed", 60)])
    history.flush()
    assert plan_chunks(joblens_home.lake, ONE_DAY) == [["2024-11-01"], ["2024-11-02"], ["2024-11-03"]]
    assert plan_chunks(joblens_home.lake, ONE_PASS) == [["2024-11-01", "2024-11-02", "2024-11-03"]]
    assert plan_chunks(joblens_home.lake / "missing", ONE_DAY) == []


def test_runs_crossing_chunks_are_folded_from_all_their_events(history, joblens_home):
    # queued on the 1st, running from the 3rd; its step starts before midnight and its
    # model call, error and close land after it
    q = history.at("2024-11-01 09:00")
    history.run("slow", "etl", q, [("preparing", 2 * 86400), ("running", 2 * 86400 + 60),
                                   ("failed", 2 * 86400 + 52000)])
    history.step("slow", "etl", "extract", history.at("2024-11-03 23:59"), 600, status="failed")
    history.call("slow", "etl", history.at("2024-11-04 00:02"), "m-small", 1000, 10, provider="acme",
                 step_key="extract")
    history.error("slow", "etl", history.at("2024-11-04 00:09"), "timeout", "sig-timeout", step_key="extract")
    history.run("quick", "etl", history.at("2024-11-02 10:00"), [("running", 5), ("completed", 60)])
    history.flush()

    refresh(joblens_home, full=True, chunk_bytes=ONE_PASS)
    one_pass = snapshot(joblens_home)
    report = refresh(joblens_home, full=True, chunk_bytes=ONE_DAY)
    assert report.mode == "full"
    assert_same(snapshot(joblens_home), one_pass)
    run = model(joblens_home, "select * from fct_runs where run_id = 'slow'").to_dicts()[0]
    assert (run["status"], run["step_count"], run["error_code"]) == ("failed", 1, "timeout")
    assert run["input_tokens"] == 1000 and run["cost_usd"] > 0
    assert run["queue_wait_s"] == 2 * 86400


def test_simulated_history_in_one_day_chunks_equals_one_pass(tmp_path):
    home = Home(tmp_path / "home").ensure()
    simulate(home.lake, days=6, runs_per_day=40, seed=5, end_date=date(2024, 10, 6))

    refresh(home, full=True, chunk_bytes=ONE_PASS)
    one_pass = snapshot(home)
    refresh(home, full=True, chunk_bytes=ONE_DAY)
    assert_same(snapshot(home), one_pass)


_REFRESH = """
import sys
from pipelines.home import Home
from pipelines.models.refresh import refresh
refresh(Home(__import__("pathlib").Path(sys.argv[1])), full=True, chunk_bytes=1)
"""


def test_a_full_refresh_killed_between_chunks_leaves_the_warehouse_as_it_was(tmp_path):
    home = Home(tmp_path / "home").ensure()
    simulate(home.lake, days=4, runs_per_day=30, seed=3, end_date=date(2024, 10, 6))
    refresh(home, full=True)
    before = snapshot(home)

    killed = subprocess.run([sys.executable, "-c", _REFRESH, str(home.root)], capture_output=True, timeout=300,
                            cwd=Path(__file__).resolve().parents[2],
                            env={**os.environ, "JOBLENS_CRASH_AT": "refresh.after_chunk#2"})
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert_same(snapshot(home), before)
    staging = "select count(*) from duckdb_tables() where suffix(table_name, ?)"
    assert duckdb.connect(str(home.warehouse), read_only=True).execute(staging, [BUILD_SUFFIX]).fetchone()[0] > 0

    assert refresh(home, full=True, chunk_bytes=1).mode == "full"
    assert_same(snapshot(home), before)
    assert duckdb.connect(str(home.warehouse), read_only=True).execute(staging, [BUILD_SUFFIX]).fetchone()[0] == 0
