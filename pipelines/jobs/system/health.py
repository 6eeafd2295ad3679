"""Health of a JobLens installation: lake, instance, disk, and runs that stopped telling the truth.

Stuck runs are marked failed with the reason, through ``instance.report_run_failed``:

- running past their ``dagster/max_runtime`` tag (run monitoring does this too when the
  daemon runs; the health check also covers installations without it);
- queued longer than a limit while the queue is not paused;
- started, but their run worker process is gone. Under the default run launcher Dagster
  records the worker's pid in the run's "Started process for run (pid: N)" engine event
  (and on every event it writes), yet cannot itself notice that process dying, so such a
  run would stay "started" forever, holding a concurrency slot. A pid whose process
  started after the run did is a reused pid: the worker is gone as well.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MAX_RUNTIME_TAG = "dagster/max_runtime"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)
    failed_runs: list[tuple[str, str, str]] = field(default_factory=list)  # (run id, kind, reason)

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks) and not self.failed_runs


def check_lake(lake: Path) -> Check:
    from pipelines.lake.reader import connect

    try:
        con = connect(lake, tables=("runs",))
        try:
            rows = con.execute("select count(*) from runs").fetchone()[0]
        finally:
            con.close()
    except Exception as exc:  # any failure to read is the finding itself
        return Check("lake_readable", False, f"{lake}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return Check("lake_readable", True, f"{rows} run rows readable")


def check_instance(instance) -> Check:
    try:
        count = instance.get_runs_count()
    except Exception as exc:  # storage down, locked, or misconfigured
        return Check("instance_reachable", False, f"{type(exc).__name__}: {exc}")
    return Check("instance_reachable", True, f"{count} runs in Dagster storage")


def check_disk(path: Path, min_free_gb: float) -> Check:
    free_gb = shutil.disk_usage(path).free / 2**30
    return Check("free_disk", free_gb >= min_free_gb, f"{free_gb:.1f} GiB free at {path} (minimum {min_free_gb:g})")


def worker_pid(instance, run_id: str) -> int | None:
    """The pid of the process executing the run, as Dagster recorded it when the run started."""
    import dagster as dg

    for event_type in (dg.DagsterEventType.RUN_START, dg.DagsterEventType.ENGINE_EVENT):
        records = instance.get_records_for_run(run_id, of_type=event_type, limit=20).records
        for record in records:
            event = record.event_log_entry.dagster_event
            pid = _metadata_pid(event) if event_type == dg.DagsterEventType.ENGINE_EVENT else event.pid
            if pid:
                return pid
    return None


def _metadata_pid(event) -> int | None:
    data = event.engine_event_data
    value = (data.metadata or {}).get("pid") if data else None
    try:
        return int(value.value) if value is not None else None
    except (TypeError, ValueError):
        return None


def worker_alive(pid: int, run_started_at: float | None) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return run_started_at is None or process.create_time() <= run_started_at + 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def stuck_runs(instance, max_queued_s: float, now: float | None = None) -> list[tuple[object, str, str]]:
    """(run, kind, reason) for each run that is stuck, by the rules in the module docstring."""
    import dagster as dg
    from dagster._core.launcher import DefaultRunLauncher

    from pipelines.jobs.run_queue import queue_pause_state

    now = now or time.time()
    found = []
    local_workers = isinstance(instance.run_launcher, DefaultRunLauncher)
    for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run, started = record.dagster_run, record.start_time
        limit = _float(run.tags.get(MAX_RUNTIME_TAG))
        if limit and started and now - started > limit:
            found.append((run, "max_runtime", f"running for {now - started:.0f}s, past its {MAX_RUNTIME_TAG} of {limit:.0f}s"))
            continue
        pid = worker_pid(instance, run.run_id) if local_workers else None
        if pid and not worker_alive(pid, started):
            found.append((run, "dead_worker", f"its run worker process (pid {pid}) is gone; the run cannot finish"))
    if queue_pause_state(instance) is None:
        for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED])):
            waited = now - record.create_timestamp.timestamp()
            if waited > max_queued_s:
                found.append((record.dagster_run, "queued_too_long", f"queued for {waited / 3600:.1f}h, longer than the "
                              f"{max_queued_s / 3600:g}h limit; is the daemon running?"))
    return found


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def mark_failed(instance, run, kind: str, reason: str) -> None:
    """Fail a stuck run with the reason; a live worker past its runtime is asked to stop first."""
    message = f"Marked failed by the JobLens health check: {reason}."
    if kind == "max_runtime":
        try:
            instance.run_launcher.terminate(run.run_id)
        except Exception:  # noqa: BLE001 - the run is failed below whether or not the worker answers
            pass
    current = instance.get_run_by_id(run.run_id)
    if current is not None and not current.is_finished:
        instance.report_run_failed(current, message)
