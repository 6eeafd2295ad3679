"""Capture from the Dagster event log: every run's lifecycle, steps, logs and failures into the lake.

A pass reads only what is new, by storage id, through the instance API alone, so it
works the same on SQLite and PostgreSQL storage:

1. find runs with new status changes (``fetch_run_status_changes`` per status event type,
   each with its own storage-id cursor; on SQLite those events are mirrored, with global
   ids, in the index shard, while a run's other events live in its own shard);
2. read each such run, and each run still open from earlier passes, from its own cursor
   (``get_records_for_run``), mapping records to rows (``capture_rows``);
3. write the rows to landing Parquet (durable once the writer returns), and only then
   replace the cursor file atomically.

A pass killed anywhere re-reads from the last saved cursor: the same events give rows
with the same ids, which the lake's readers count once. A run leaves the open set when
its status is final; a later status change brings it back.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lake import faults
from pipelines.lake.files import publish_json
from pipelines.lake.writer import LakeWriter
from pipelines.telemetry.capture_rows import EventMapper, RunCursor, run_metadata

log = logging.getLogger("joblens.capture")

STATE_FILE = "capture_cursor.json"
LOCK_FILE = "capture.lock"
STATE_VERSION = 1
PAGE = 5_000
COMMIT_ROWS = 100_000
FINAL_STATUSES = ("SUCCESS", "FAILURE", "CANCELED")
STATUS_EVENT_TYPES = (
    "RUN_ENQUEUED", "RUN_STARTING", "RUN_START", "RUN_SUCCESS", "RUN_FAILURE",
    "RUN_CANCELING", "RUN_CANCELED", "RUN_SUSPENDED", "RUN_RESUMED",
)


@dataclass
class CaptureReport:
    """What one capture pass read and wrote."""

    runs: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=lambda: {"runs": 0, "steps": 0, "logs": 0, "errors": 0})
    open_runs: int = 0
    spool_rows: int = 0
    complete: bool = True  # False when a time budget cut the pass short

    def as_row(self) -> dict:
        return {"runs_read": self.runs, "events": self.events, **{f"{t}_rows": n for t, n in self.rows.items()},
                "open_runs": self.open_runs, "spool_rows": self.spool_rows, "complete": self.complete}


@dataclass
class CaptureState:
    """The cursors of capture: per status event type, and per open run."""

    status: dict[str, str] = field(default_factory=dict)
    runs: dict[str, RunCursor] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "CaptureState":
        from pipelines.errors import JoblensError

        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise JoblensError(f"{path}: unreadable capture cursor ({exc})") from None
        if raw.get("version") != STATE_VERSION:
            raise JoblensError(f"{path}: field 'version' is {raw.get('version')!r}, expected {STATE_VERSION}")
        return cls(dict(raw["status"]), {k: RunCursor.from_dict(v) for k, v in raw["runs"].items()})

    def save(self, path: Path) -> None:
        publish_json(path, {"version": STATE_VERSION, "status": self.status,
                            "runs": {k: v.to_dict() for k, v in sorted(self.runs.items())}})


def state_path(home) -> Path:
    return home.state / STATE_FILE


def capture(instance, home, min_log_level: int = logging.INFO, recover: bool = True,
            commit_rows: int = COMMIT_ROWS, time_budget_s: float | None = None) -> CaptureReport:
    """One capture pass of ``instance``'s event log into ``home``'s lake; see the module docstring.

    Rows and cursor are committed whenever ``commit_rows`` rows are pending, so a long
    backlog is not re-read from the start after a crash, and at the end of the pass.
    With ``time_budget_s`` the pass stops at the first page boundary past it (a sensor
    tick must end in time); the next pass goes on from there.
    """
    home.ensure()
    report = CaptureReport()
    if recover:
        from pipelines.telemetry.spool import recover_spools

        report.spool_rows = recover_spools(home).rows
    with _exclusive(home):
        deadline = time.monotonic() + time_budget_s if time_budget_s is not None else None
        return _capture_pass(instance, home, report, min_log_level, commit_rows, deadline)


@contextmanager
def _exclusive(home):
    """One capture at a time per home: two would only re-read each other's events."""
    from pipelines.errors import JoblensError

    with open(home.state / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JoblensError(f"another capture into {home.lake} is running") from None
        yield


def _capture_pass(instance, home, report: CaptureReport, min_log_level: int, commit_rows: int,
                  deadline: float | None) -> CaptureReport:
    path = state_path(home)
    state = CaptureState.load(path)
    for run_id in _discover(instance, state):
        # open before any commit: the advanced status cursors must never outlive a run unread
        state.runs.setdefault(run_id, RunCursor())
    writer = LakeWriter(home.lake, buffer_rows=max(commit_rows, 1))
    for run_id in sorted(state.runs):
        _capture_run(instance, run_id, state, writer, report, min_log_level, deadline)
        if writer.pending() >= commit_rows:
            _commit(writer, state, path)
        if _past(deadline):
            report.complete = False
            break
    _commit(writer, state, path)
    report.open_runs = len(state.runs)
    return report


def _commit(writer: LakeWriter, state: CaptureState, path: Path) -> None:
    """Rows first, durably; the cursor that covers them after."""
    writer.flush()
    faults.checkpoint("capture.after_landing")
    state.save(path)
    faults.checkpoint("capture.after_cursor")


def _discover(instance, state: CaptureState) -> set[str]:
    """Run ids with status changes past the saved cursors (cursors advance in ``state``)."""
    import dagster as dg

    found: set[str] = set()
    for name in STATUS_EVENT_TYPES:
        event_type = getattr(dg.DagsterEventType, name, None)
        if event_type is None:
            continue
        while True:
            result = instance.fetch_run_status_changes(event_type, limit=PAGE, cursor=state.status.get(name),
                                                       ascending=True)
            found.update(r.run_id for r in result.records)
            state.status[name] = result.cursor
            if not result.has_more:
                break
    return found


def _capture_run(instance, run_id: str, state: CaptureState, writer: LakeWriter, report: CaptureReport,
                 min_log_level: int, deadline: float | None = None) -> None:
    record = instance.get_run_record_by_id(run_id)
    if record is None:  # deleted from the instance: nothing left to read
        state.runs.pop(run_id, None)
        return
    run = record.dagster_run
    cursor = state.runs[run_id]
    mapper = EventMapper(run_id, run_metadata(run), cursor, min_log_level)
    report.runs += 1
    while True:
        page = instance.get_records_for_run(run_id, cursor=_storage_cursor(cursor.after), limit=PAGE)
        for event_record in page.records:
            for table, row in mapper.rows(event_record):
                writer.add(table, row)
                report.rows[table] += 1
        report.events += len(page.records)
        if not page.has_more:
            break
        if _past(deadline):
            return  # the cursor stops at this page boundary; the run stays open
    if run.status.value in FINAL_STATUSES:
        state.runs.pop(run_id, None)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _storage_cursor(after: int | None) -> str | None:
    if after is None:
        return None
    from dagster._core.storage.event_log.base import EventLogCursor

    return EventLogCursor.from_storage_id(after).to_string()
