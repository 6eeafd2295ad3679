"""Live view of active jobs: what ``joblens top`` shows, as plain data.

Three sources, each the freshest for its part:
- the Dagster instance: which runs are queued or running right now, and the queue switch;
- the telemetry spools of running processes: the current step, progress, CPU, memory and
  tokens recorded in the last seconds (landing Parquet only happens at step end);
- the lake and the warehouse: what earlier steps of the run recorded, and ``run_eta``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines.duckdb_files import connect_file
from pipelines.home import Home

log = logging.getLogger("joblens.monitor")
ACTIVE_STATUSES = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass
class ActiveRun:
    run_id: str
    job_name: str
    job_type: str
    priority: int
    status: str
    created_at: str | None
    started_at: str | None
    elapsed_s: float | None
    current_step: str | None = None
    activity: str | None = None
    done: float | None = None
    total: float | None = None
    cpu_percent: float | None = None
    rss_mb: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    eta: str | None = None
    eta_p90: str | None = None

    @property
    def progress(self) -> float | None:
        return self.done / self.total if self.done is not None and self.total else None


@dataclass
class Snapshot:
    taken_at: str
    queue_paused: bool
    queue_paused_by: str | None
    active: list[ActiveRun] = field(default_factory=list)
    last_failures: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        for run, raw in zip(self.active, out["active"]):
            raw["progress"] = run.progress
        return out


def take_snapshot(home: Home, instance, failures: int = 5) -> Snapshot:
    """One consistent look at the queue, the active runs and the latest failures."""
    from pipelines.jobs.run_queue import queue_pause_state

    now = datetime.now(timezone.utc)
    paused = queue_pause_state(instance)
    active = [_active_run(record, now) for record in _records(instance, ACTIVE_STATUSES)]
    by_id = {run.run_id: run for run in active}
    _apply_lake(home, by_id)
    _apply_spools(home, by_id)
    _apply_eta(home, by_id)
    active.sort(key=lambda r: (r.status != "STARTED", -r.priority, r.created_at or ""))
    return Snapshot(
        taken_at=now.isoformat(timespec="seconds"),
        queue_paused=paused is not None,
        queue_paused_by=(paused or {}).get("actor"),
        active=active,
        last_failures=[_failure(r) for r in _records(instance, ("FAILURE",), limit=failures)],
    )


def _records(instance, statuses: tuple[str, ...], limit: int | None = None):
    from dagster import DagsterRunStatus, RunsFilter

    wanted = [DagsterRunStatus[s] for s in statuses]
    return instance.get_run_records(filters=RunsFilter(statuses=wanted), limit=limit)


def _iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    value = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _active_run(record, now: datetime) -> ActiveRun:
    run = record.dagster_run
    tags = run.tags
    started = record.start_time
    return ActiveRun(
        run_id=run.run_id,
        job_name=run.job_name,
        job_type=tags.get("joblens/job_type", "unknown"),
        priority=int(tags.get("dagster/priority", 0) or 0),
        status=run.status.value,
        created_at=_iso(record.create_timestamp),
        started_at=_iso(started),
        elapsed_s=round(now.timestamp() - started, 1) if started else None,
    )


def _failure(record) -> dict:
    run = record.dagster_run
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "ended_at": _iso(record.end_time),
        "job_type": run.tags.get("joblens/job_type", "unknown"),
    }


def _apply_lake(home: Home, runs: dict[str, ActiveRun]) -> None:
    """Tokens and the last progress that earlier, finished steps of these runs landed."""
    if not runs:
        return
    from pipelines.lake import reader

    today = datetime.now(timezone.utc).date()
    days = {today.isoformat(), (today.fromordinal(today.toordinal() - 1)).isoformat()}
    con = reader.connect(home.lake, tables=("model_calls", "logs"), days=days)
    ids = list(runs)
    for run_id, inp, out in con.execute(
        "select run_id, sum(input_tokens), sum(output_tokens) from model_calls "
        "where run_id in (select unnest(?)) group by run_id",
        [ids],
    ).fetchall():
        runs[run_id].input_tokens += int(inp or 0)
        runs[run_id].output_tokens += int(out or 0)
    for run_id, step_key, fields in con.execute(
        "select run_id, arg_max(step_key, ts), arg_max(fields, ts) from logs "
        "where kind = 'progress' and run_id in (select unnest(?)) group by run_id",
        [ids],
    ).fetchall():
        _progress(runs[run_id], step_key, fields)


def _apply_spools(home: Home, runs: dict[str, ActiveRun]) -> None:
    """What running steps recorded in the last seconds, straight from their spools."""
    from pipelines.telemetry.spool import SUFFIX, default_spool_dir, read_spool

    directory = default_spool_dir(home)
    if not runs or not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime if p.exists() else 0):
        try:
            _, contexts, records = read_spool(path)
        except (OSError, ValueError):
            continue  # landed and removed meanwhile, or not a spool yet
        for record in records:
            context = contexts.get(record.get("c"), {})
            run = runs.get(context.get("run_id"))
            if run is not None:
                _apply_record(run, context, record)


def _apply_record(run: ActiveRun, context: dict, record: dict) -> None:
    table = record.get("t")
    run.current_step = context.get("step_key") or run.current_step
    if table == "model_calls":
        run.input_tokens += int(record.get("input_tokens") or 0)
        run.output_tokens += int(record.get("output_tokens") or 0)
    elif table == "resource_samples":
        run.cpu_percent = record.get("cpu_percent")
        run.rss_mb = record.get("rss_mb")
    elif table == "logs" and record.get("kind") == "progress":
        _progress(run, context.get("step_key"), record.get("fields"))


def _progress(run: ActiveRun, step_key: str | None, fields) -> None:
    if isinstance(fields, str):
        try:
            fields = json.loads(fields)
        except ValueError:
            return
    if not isinstance(fields, dict):
        return
    run.current_step = step_key or run.current_step
    run.done, run.total = fields.get("done"), fields.get("total")
    run.activity = fields.get("activity") or run.activity


def _apply_eta(home: Home, runs: dict[str, ActiveRun]) -> None:
    if not runs or not Path(home.warehouse).exists():
        return
    try:
        con = connect_file(home.warehouse, read_only=True, wait_s=1.0)
    except duckdb.Error as exc:  # a refresh holds the write lock: show the rest without ETAs
        log.info("no ETAs this time: %s", exc)
        return
    try:
        rows = con.execute(
            "select run_id, eta, eta_p90 from run_eta where run_id in (select unnest(?))",
            [list(runs)],
        ).fetchall()
    except duckdb.Error:
        rows = []
    finally:
        con.close()
    for run_id, eta, p90 in rows:
        runs[run_id].eta, runs[run_id].eta_p90 = _iso(eta), _iso(p90)
