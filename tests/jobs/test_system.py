"""System jobs: backup/restore checksums, retention with the important-run archive, health check of dead workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.errors import JoblensError
from pipelines.jobs.system.backup import backup, restore, verify
from pipelines.jobs.system.retention import apply_lake_retention, important_run_ids, purge_dagster_history
from pipelines.lake.compaction import compact
from pipelines.lake.reader import connect
from pipelines.lake.writer import LakeWriter

TODAY = date(2026, 3, 1)


def _run_row(run_id: str, day: date, important: bool) -> dict:
    tags = {"joblens/important": "true"} if important else {}
    return {"id": f"{run_id}-queued", "run_id": run_id, "ts": datetime.combine(day, datetime.min.time(), timezone.utc),
            "status": "queued", "job_name": "billing_close", "job_type": "workflow", "trigger": "manual",
            "tags": json.dumps(tags)}


def _log_row(run_id: str, day: date, n: int) -> dict:
    return {"id": f"{run_id}-log-{n}", "run_id": run_id, "kind": "log", "level": "info", "message": f"line {n}",
            "ts": datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(minutes=n)}


def _query(lake: Path, sql: str):
    con = connect(lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_retention_archives_important_runs_then_deletes_expired_days(joblens_home):
    lake = joblens_home.lake
    old, recent = TODAY - timedelta(days=40), TODAY - timedelta(days=3)
    with LakeWriter(lake) as writer:
        for run_id, day, important in (("r-old-important", old, True), ("r-old", old, False), ("r-new", recent, False)):
            writer.add("runs", _run_row(run_id, day, important))
            writer.extend("logs", [_log_row(run_id, day, n) for n in range(3)])
    compact(lake)  # old days partly compacted, partly in landing
    with LakeWriter(lake) as writer:
        writer.add("logs", _log_row("r-old", old, 9))

    important = important_run_ids(lake)
    assert important == {"r-old-important"}
    report = apply_lake_retention(lake, {"logs": 30, "runs": 400}, important, today=TODAY)

    assert report.days_deleted == {"logs": [old.isoformat()]}
    assert report.rows_deleted["logs"] == 4 and report.rows_archived["logs"] == 3
    assert sorted(_query(lake, "select run_id, count(*) from logs group by 1")) == [("r-new", 3)]
    assert len(_query(lake, "select * from runs")) == 3  # runs keep 400 days
    archived = _query(lake / "archive", "select run_id, message from logs order by message")
    assert archived == [("r-old-important", "line 0"), ("r-old-important", "line 1"), ("r-old-important", "line 2")]
    assert not (lake / "landing" / "logs" / f"date={old.isoformat()}").exists()
    assert not (lake / "tables" / "logs" / f"date={old.isoformat()}").exists()


def test_dagster_history_purged_except_important_runs(joblens_home):
    from pipelines.instance import open_instance

    instance = open_instance(joblens_home)

    @dg.op
    def noop():
        return None

    @dg.job
    def tiny_job():
        noop()

    plain = tiny_job.execute_in_process(instance=instance).run_id
    kept = tiny_job.execute_in_process(instance=instance, tags={"joblens/important": "true"}).run_id
    report = purge_dagster_history(instance, keep_days=30, now=datetime.now(timezone.utc))
    assert report.dagster_runs_deleted == 0  # nothing is old yet
    report = purge_dagster_history(instance, keep_days=30, now=datetime.now(timezone.utc) + timedelta(days=31))
    assert (report.dagster_runs_deleted, report.dagster_runs_kept_important) == (1, 1)
    assert instance.get_run_by_id(plain) is None and instance.get_run_by_id(kept) is not None
    assert instance.all_logs(plain) == []  # its event log went with it


def _fill_home(home) -> None:
    with LakeWriter(home.lake) as writer:
        writer.add("runs", _run_row("r-1", TODAY, False))
    con = duckdb.connect(str(home.warehouse))
    con.execute("create table fct_runs as select 'r-1' as run_id, 42 as cost")
    con.close()


def test_backup_restore_verifies_checksums_before_restoring(joblens_home):
    _fill_home(joblens_home)
    report = backup(joblens_home)
    assert report.path.parent == joblens_home.root / "backups" and report.files >= 3
    assert verify(report.path) == []

    con = duckdb.connect(str(joblens_home.warehouse))
    con.execute("update fct_runs set cost = 0")  # damage after the backup
    con.close()
    aside = restore(report.path, joblens_home)
    con = duckdb.connect(str(joblens_home.warehouse), read_only=True)
    assert con.execute("select cost from fct_runs").fetchone() == (42,)
    con.close()
    assert (aside / "warehouse.duckdb").exists(), "the state before restoring is kept"
    assert _query(joblens_home.lake, "select run_id from runs") == [("r-1",)]

    parquet = next((report.path / "lake").rglob("*.parquet"))
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    assert verify(report.path) == [f"{parquet.relative_to(report.path).as_posix()}: SHA-256 differs from manifest"]
    before = joblens_home.warehouse.read_bytes()
    with pytest.raises(JoblensError, match="failed verification: lake/.*SHA-256 differs"):
        restore(report.path, joblens_home)
    assert joblens_home.warehouse.read_bytes() == before  # nothing touched


def test_backup_and_restore_commands(joblens_home):
    from typer.testing import CliRunner

    from pipelines.cli.app import _register, app

    _register()
    _fill_home(joblens_home)
    runner = CliRunner()
    result = runner.invoke(app, ["backup", "--format", "json"])
    assert result.exit_code == 0, result.output
    path = Path(json.loads(result.stdout)[0]["path"])
    (path / "warehouse.duckdb").write_bytes(b"not a database")
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code != 0 and "warehouse.duckdb: size" in str(result.exception)


WORKER = """
import sys, dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster import DagsterInstance
job = ReconstructableRepository.for_file(sys.argv[1], "defs").get_reconstructable_job("probe_job")
result = dg.execute_job(job, instance=DagsterInstance.get(),
                        run_config={"ops": {"nap": {"config": {"seconds": 120}}}})
"""


@pytest.mark.slow
def test_health_check_fails_a_run_whose_worker_died(joblens_home):
    from pipelines.home import resolve_home
    from pipelines.instance import open_instance
    from pipelines.jobs.system.health_run import run_health_check

    instance = open_instance(joblens_home)
    location = Path(__file__).with_name("queue_location.py")
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(location)], env=dict(os.environ))
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            started = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
            if started:
                break
            time.sleep(0.3)
        assert started, "the worker never started its run"
        run_id = started[0].run_id
        report = run_health_check(instance, resolve_home(), min_free_gb=0.0)
        assert report.failed_runs == [], "a live worker is not stuck"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    report = run_health_check(instance, resolve_home(), min_free_gb=0.0)
    assert [(r, k) for r, k, _ in report.failed_runs] == [(run_id, "dead_worker")]
    assert all(c.ok for c in report.checks)
    run = instance.get_run_by_id(run_id)
    assert run.status == dg.DagsterRunStatus.FAILURE
    failure = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
    assert f"pid {worker.pid}" in failure.event_log_entry.dagster_event.message
    rows = _query(joblens_home.lake, "select run_id, fields from logs where kind = 'control'")
    assert rows[0][0] == run_id and json.loads(rows[0][1]) | {} == json.loads(rows[0][1])
    assert json.loads(rows[0][1])["action"] == "mark_failed" and json.loads(rows[0][1])["kind"] == "dead_worker"
