"""Retention: expired day partitions leave the lake, important runs' rows go to the archive first.

Rows are partitioned by their UTC day, so a day older than a table's retention is
expired as a whole. Before a day is deleted, the rows of runs tagged
``joblens/important=true`` are published to ``lake/archive/`` (itself a lake: the same
reader opens it), and only then are the day's landing files and compacted files
removed, landing first so no merged landing file can resurface, manifest before
compacted files so no half-deleted day is ever listed. A crash part-way leaves a day
that is still expired; the next run finishes it.

Retention holds the compaction lock: compaction is the single writer of ``tables/``
and must not merge a day while it is being deleted.

Dagster's own runs and event logs are purged with the same policy (the ``runs``
table's days): finished runs older than that are deleted with ``instance.delete_run``,
except important ones.
"""

from __future__ import annotations

import fcntl
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import JoblensError
from pipelines.lake import inventory, reader
from pipelines.lake import schema as lake_schema
from pipelines.lake.files import sidecar_path
from pipelines.lake.writer import conform, write_landing

IMPORTANT_TAG = "joblens/important"
ARCHIVE = "archive"
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "runs": 400, "steps": 180, "errors": 180, "model_calls": 400,
    "logs": 30, "snapshots": 90, "resource_samples": 14,
}


@dataclass
class RetentionReport:
    days_deleted: dict[str, list[str]] = field(default_factory=dict)
    rows_deleted: dict[str, int] = field(default_factory=dict)
    rows_archived: dict[str, int] = field(default_factory=dict)
    dagster_runs_deleted: int = 0
    dagster_runs_kept_important: int = 0


def retention_days(overrides: dict[str, int] | None = None) -> dict[str, int]:
    """The default policy with ``overrides``; unknown tables or negative days fail loudly."""
    policy = dict(DEFAULT_RETENTION_DAYS)
    for table, days in (overrides or {}).items():
        lake_schema.schema(table)
        if not isinstance(days, int) or days < 1:
            raise JoblensError(f"retention for table {table}: {days!r} days must be a whole number >= 1")
        policy[table] = days
    return policy


@contextmanager
def lake_write_lock(lake: Path) -> Iterator[None]:
    """The lock compaction holds while it writes ``tables/``."""
    lake.mkdir(parents=True, exist_ok=True)
    with open(lake / ".compaction.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JoblensError(f"a compaction of {lake} is running; retry retention after it") from None
        yield


def important_run_ids(lake: Path, extra: set[str] = frozenset()) -> set[str]:
    """Runs tagged ``joblens/important=true`` in the lake's ``runs`` rows, plus ``extra``."""
    con = reader.connect(lake, tables=("runs",))
    try:
        rows = con.execute(
            "select distinct run_id from runs where json_extract_string(tags, ?) = 'true'",
            [f'$."{IMPORTANT_TAG}"'],
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows} | set(extra)


def expired_days(lake: Path, table: str, keep_days: int, today: date) -> list[str]:
    cutoff = (today - timedelta(days=keep_days)).isoformat()
    found = set(inventory.days(lake / "tables", table)) | set(inventory.days(lake / "landing", table))
    return sorted(d for d in found if d < cutoff)


def apply_lake_retention(lake: Path, policy: dict[str, int], important: set[str], today: date | None = None,
                         report: RetentionReport | None = None) -> RetentionReport:
    """Archive important rows of expired days, then delete those days, table by table."""
    today = today or datetime.now(timezone.utc).date()
    report = report or RetentionReport()
    with lake_write_lock(lake):
        for table, keep in policy.items():
            for day in expired_days(lake, table, keep, today):
                deleted, archived = _expire_day(lake, table, day, important)
                report.days_deleted.setdefault(table, []).append(day)
                report.rows_deleted[table] = report.rows_deleted.get(table, 0) + deleted
                report.rows_archived[table] = report.rows_archived.get(table, 0) + archived
    return report


def _expire_day(lake: Path, table: str, day: str, important: set[str]) -> tuple[int, int]:
    con = reader.connect(lake, tables=(table,), days={day})
    try:
        rows = con.sql(f"select * from {table}").to_arrow_table()  # table name from the schema registry
    finally:
        con.close()
    keep = rows.filter(pc.is_in(rows.column("run_id"), value_set=pa.array(sorted(important), pa.string())))
    if keep.num_rows:
        write_landing(lake / ARCHIVE, table, conform(table, keep))  # durable before anything is deleted
    _delete_day(lake, table, day)
    return rows.num_rows - keep.num_rows, keep.num_rows


def _delete_day(lake: Path, table: str, day: str) -> None:
    landing_dir = lake / "landing" / table / f"date={day}"
    for path in inventory.parquet_files(landing_dir):
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
    day_dir = inventory.table_day_dir(lake, table, day)
    (day_dir / inventory.MANIFEST).unlink(missing_ok=True)
    for directory in (landing_dir, day_dir):
        if directory.is_dir():
            shutil.rmtree(directory)


def purge_dagster_history(instance, keep_days: int, now: datetime | None = None,
                          report: RetentionReport | None = None) -> RetentionReport:
    """Delete finished Dagster runs (and their event logs) older than ``keep_days``, except important ones."""
    import dagster as dg

    report = report or RetentionReport()
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=keep_days)
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    cursor = None
    while True:
        records = instance.get_run_records(
            dg.RunsFilter(statuses=finished, updated_before=cutoff), limit=PAGE, cursor=cursor)
        for record in records:
            run = record.dagster_run
            if run.tags.get(IMPORTANT_TAG) == "true":
                report.dagster_runs_kept_important += 1
                cursor = run.run_id  # kept runs stay in the listing: page past them
            else:
                instance.delete_run(run.run_id)
                report.dagster_runs_deleted += 1
        if len(records) < PAGE:
            return report


PAGE = 200
