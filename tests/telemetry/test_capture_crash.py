"""Capture killed at every phase, then re-run: every event lands exactly once in the views."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from pipelines.home import resolve_home
from pipelines.instance import open_instance
from pipelines.lake.reader import connect
from pipelines.telemetry.capture import capture, state_path

CAPTURED = ("runs", "steps", "logs", "errors")

CAPTURE = """
import sys
from dagster import DagsterInstance
from pipelines.home import resolve_home
from pipelines.telemetry.capture import capture
instance = DagsterInstance.from_config(sys.argv[2])
capture(instance, resolve_home(sys.argv[1]), commit_rows=int(sys.argv[3]))
"""


@dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
def chatty(context):
    for i in range(5):
        context.log.info(f"line {i}")
    if context.retry_number == 0:
        raise TimeoutError("read timed out")


@dg.op
def broken(context, _after):
    raise KeyError("customer_id")


@dg.job(executor_def=dg.in_process_executor)
def chatty_job():
    broken(chatty())


@pytest.fixture(scope="module")
def instance_dir(tmp_path_factory):
    home = resolve_home(tmp_path_factory.mktemp("crash_instance"))
    instance = open_instance(home)
    for _ in range(3):
        chatty_job.execute_in_process(instance=instance, raise_on_error=False)
    instance.dispose()
    return home.dagster


def lake_ids(home) -> dict[str, list[str]]:
    con = connect(home.lake, tables=CAPTURED)
    try:
        out = {}
        for table in CAPTURED:
            got = [r[0] for r in con.execute(f"select id from {table} order by id").fetchall()]
            assert len(got) == len(set(got)), f"{table} holds a row twice"
            out[table] = got
        return out
    finally:
        con.close()


def run_capture(home, instance_dir, commit_rows: int, crash: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "JOBLENS_CRASH_AT"}
    if crash:
        env["JOBLENS_CRASH_AT"] = crash
    args = [sys.executable, "-c", CAPTURE, str(home.root), str(instance_dir), str(commit_rows)]
    return subprocess.run(args, env=env, timeout=120, capture_output=True).returncode


@pytest.fixture(scope="module")
def reference(instance_dir, tmp_path_factory):
    home = resolve_home(tmp_path_factory.mktemp("reference")).ensure()
    instance = dg.DagsterInstance.from_config(str(instance_dir))
    capture(instance, home)
    instance.dispose()
    return lake_ids(home)


@pytest.mark.parametrize(
    "point",
    ["capture.after_landing", "capture.after_landing#2", "capture.after_cursor#2", "writer.after_file#3",
     "publish.before_rename#2", "publish.after_sidecar#5", "publish.before_rename#9"],
)
def test_capture_killed_then_rerun_records_every_event_once(instance_dir, reference, joblens_home, point):
    assert sum(len(v) for v in reference.values()) > 40
    assert run_capture(joblens_home, instance_dir, commit_rows=10, crash=point) == -9
    partial = lake_ids(joblens_home)  # whatever landed before the kill is a subset, never a duplicate
    assert all(set(partial[t]) <= set(reference[t]) for t in CAPTURED)
    assert run_capture(joblens_home, instance_dir, commit_rows=10) == 0
    assert lake_ids(joblens_home) == reference
    assert state_path(joblens_home).exists()


def test_cursor_is_saved_only_after_rows_are_durable(instance_dir, joblens_home):
    assert run_capture(joblens_home, instance_dir, commit_rows=10**6, crash="capture.after_landing") == -9
    assert not state_path(joblens_home).exists()  # rows landed, cursor not yet: the next pass re-reads
    assert run_capture(joblens_home, instance_dir, commit_rows=10**6, crash="capture.after_cursor") == -9
    assert state_path(joblens_home).exists()
    instance = dg.DagsterInstance.from_config(str(instance_dir))
    try:
        assert capture(instance, joblens_home).events == 0
    finally:
        instance.dispose()


def test_a_time_budget_splits_a_backlog_over_passes(instance_dir, reference, joblens_home):
    instance = dg.DagsterInstance.from_config(str(instance_dir))
    try:
        first = capture(instance, joblens_home, time_budget_s=0)  # stops after the first page
        assert not first.complete and first.runs == 1 and first.open_runs == 2  # one run per pass
        passes = 1
        while capture(instance, joblens_home, time_budget_s=0).events:
            passes += 1
        assert passes == 3
        assert lake_ids(joblens_home) == reference
    finally:
        instance.dispose()
