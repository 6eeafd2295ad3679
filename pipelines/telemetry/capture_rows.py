"""Dagster event-log records → lake rows (runs, steps, logs, errors).

Row ids hash (run id, storage id, table), so reading the same event again, after a crash
or from a re-discovered run, yields the same ids and the lake's readers count it once.
Attempt numbers and the start time of the open attempt of each step are not carried by
the events themselves; ``RunCursor`` keeps them between capture passes, saved with the
cursor they belong to.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipelines.lake.schema import JOB_TYPES, TRIGGERS
from pipelines.telemetry.redaction import DEFAULT as REDACTOR
from pipelines.telemetry.signature import signature
from pipelines.telemetry.taxonomy import classify

SOURCE = "dagster"
RUN_EVENTS = {
    "RUN_ENQUEUED": "queued",
    "RUN_STARTING": "preparing",
    "RUN_START": "running",
    "RUN_RESUMED": "running",
    "RUN_SUCCESS": "completed",
    "RUN_FAILURE": "failed",
    "RUN_CANCELING": "cancelled",
    "RUN_CANCELED": "cancelled",
}
STEP_EVENTS = {
    "STEP_START": "started",
    "STEP_RESTARTED": "started",
    "STEP_SUCCESS": "completed",
    "STEP_FAILURE": "failed",
    "STEP_UP_FOR_RETRY": "up_for_retry",
    "STEP_SKIPPED": "skipped",
}
# Dagster wraps the user's exception in these; the cause is what failed.
_WRAPPERS = (
    "DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError", "DagsterResourceFunctionError",
    "RetryRequestedFromPolicy", "RetryRequested",
)
_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}


@dataclass
class RunCursor:
    """Where capture stands in one run's event log, and the step state that position implies."""

    after: int | None = None  # storage id of the last event read
    attempts: dict[str, int] = field(default_factory=dict)
    opened: dict[str, float] = field(default_factory=dict)  # step → start (epoch s) of its open attempt
    waits: dict[str, float] = field(default_factory=dict)  # step → backoff announced before its next attempt

    @classmethod
    def from_dict(cls, raw: dict) -> "RunCursor":
        return cls(raw.get("after"), dict(raw.get("attempts", {})), dict(raw.get("opened", {})), dict(raw.get("waits", {})))

    def to_dict(self) -> dict:
        return {"after": self.after, "attempts": self.attempts, "opened": self.opened, "waits": self.waits}


def row_id(run_id: str, storage_id: int, table: str) -> str:
    return hashlib.blake2b(f"{run_id}:{storage_id}:{table}".encode(), digest_size=12).hexdigest()


def run_metadata(run) -> dict[str, Any]:
    """The columns every ``runs`` row of ``run`` (a ``DagsterRun``) carries."""
    tags = dict(run.tags)
    trigger, trigger_source = trigger_of(run, tags)
    job_type = tags.get("joblens/job_type")
    origin = getattr(run, "remote_job_origin", None)
    return {
        "job_name": run.job_name,
        "job_type": job_type if job_type in JOB_TYPES else "unknown",
        "team": tags.get("joblens/team"),
        "trigger": trigger,
        "trigger_source": trigger_source,
        "priority": _int(tags.get("dagster/priority")),
        "parent_run_id": run.parent_run_id,
        "root_run_id": run.root_run_id,
        "partition": tags.get("dagster/partition"),
        "code_location": origin.location_name if origin is not None else tags.get("dagster/code_location"),
        "tags": json.dumps(tags, sort_keys=True),
    }


def trigger_of(run, tags: dict[str, str]) -> tuple[str, str | None]:
    """What started the run, and its name or path; a re-execution is a retry whatever else it carries."""
    source = tags.get("joblens/trigger_source")
    if run.parent_run_id or tags.get("dagster/is_resume_retry") == "true" or "dagster/retry_number" in tags:
        return "retry", source or run.parent_run_id
    if "dagster/backfill" in tags:
        return "backfill", tags["dagster/backfill"]
    if "dagster/schedule_name" in tags:
        return "schedule", tags["dagster/schedule_name"]
    if "dagster/sensor_name" in tags:
        return "sensor", source or tags["dagster/sensor_name"]
    declared = tags.get("joblens/trigger")
    return (declared if declared in TRIGGERS else "manual"), source


class EventMapper:
    """Turns the records of one run, in storage-id order, into rows for the lake writer."""

    def __init__(self, run_id: str, meta: dict[str, Any], cursor: RunCursor, min_log_level: int = logging.INFO):
        self.run_id = run_id
        self.meta = meta
        self.cursor = cursor
        self.min_log_level = min_log_level

    def rows(self, record) -> list[tuple[str, dict[str, Any]]]:
        """(table, row) pairs for one ``EventLogRecord``; advances the cursor past it."""
        entry = record.event_log_entry
        event = entry.dagster_event
        kind = event.event_type.name if event is not None else None
        base = {"run_id": self.run_id, "ts": datetime.fromtimestamp(entry.timestamp, timezone.utc)}
        if kind in RUN_EVENTS:
            out = [("runs", self._run_row(record, base, kind))] + self._run_error(record, base, event)
        elif kind in STEP_EVENTS:
            out = self._step_rows(record, base, kind, event)
        elif entry.level >= self.min_log_level and (event is None or entry.level >= logging.WARNING):
            out = [("logs", self._log_row(record, base, kind))]
        else:
            out = []
        self.cursor.after = record.storage_id
        return out

    def _run_row(self, record, base: dict, kind: str) -> dict:
        row = {**base, **self.meta, "id": row_id(self.run_id, record.storage_id, "runs")}
        entry = record.event_log_entry
        message = entry.dagster_event.message or entry.user_message
        row.update(status=RUN_EVENTS[kind], dagster_event=kind, message=message or None)
        return row

    def _run_error(self, record, base: dict, event) -> list[tuple[str, dict]]:
        data = event.event_specific_data
        if event.event_type.name != "RUN_FAILURE" or data is None:
            return []
        reason = getattr(getattr(data, "failure_reason", None), "value", None)
        if reason == "STEP_FAILURE" or (data.error is None and reason is None):
            return []  # the failed step's own error row says why
        row = self._error_row(record, base, None, None, data.error, reason or "RunFailure")
        return [("errors", row)]

    def _step_rows(self, record, base: dict, kind: str, event) -> list[tuple[str, dict]]:
        step = record.event_log_entry.step_key or event.step_key
        cur = self.cursor
        row = {**base, "id": row_id(self.run_id, record.storage_id, "steps"), "job_name": self.meta["job_name"],
               "step_key": step, "status": STEP_EVENTS[kind], "source": SOURCE}
        epoch = record.event_log_entry.timestamp
        if kind in ("STEP_START", "STEP_RESTARTED"):
            cur.attempts[step] = cur.attempts.get(step, 0) + 1
            cur.opened[step] = epoch
            row.update(attempt=cur.attempts[step], started_at=base["ts"], wait_before_s=cur.waits.pop(step, None))
            return [("steps", row)]
        attempt = cur.attempts.get(step, 1)
        started = cur.opened.pop(step, None)
        data = event.event_specific_data
        duration = getattr(data, "duration_ms", None)
        row.update(attempt=attempt, ended_at=base["ts"])
        if started is not None:
            row["started_at"] = datetime.fromtimestamp(started, timezone.utc)
            row["duration_s"] = duration / 1000 if duration is not None else max(0.0, epoch - started)
        if kind == "STEP_UP_FOR_RETRY" and getattr(data, "seconds_to_wait", None) is not None:
            cur.waits[step] = float(data.seconds_to_wait)
        error = getattr(data, "error", None) if kind in ("STEP_FAILURE", "STEP_UP_FOR_RETRY") else None
        if error is None:
            return [("steps", row)]
        err = self._error_row(record, base, step, attempt, error, "Error")
        row["error_code"] = err["error_code"]
        if err["error_code"] == "cancelled" and kind == "STEP_FAILURE":
            row["status"] = "cancelled"
        return [("steps", row), ("errors", err)]

    def _error_row(self, record, base: dict, step: str | None, attempt: int | None, error, fallback: str) -> dict:
        chain = _error_chain(error)
        root = chain[-1] if chain else None
        error_class = (root.cls_name if root is not None else None) or fallback
        raw_message = _strip_class(root.message, error_class) if root is not None else record.event_log_entry.user_message
        message, masked_message = REDACTOR.text(raw_message or "")
        stack, masked_stack = REDACTOR.text(error.to_string()) if error is not None else ("", False)
        code = _classify(chain, error_class, raw_message or "")
        return {
            **base,
            "id": row_id(self.run_id, record.storage_id, "errors"),
            "job_name": self.meta["job_name"],
            "step_key": step,
            "attempt": attempt,
            "error_class": error_class,
            "error_code": code.code,
            "transient": code.transient,
            "message": message,
            "stack_trace": stack or None,
            "signature": signature(error_class, raw_message or "", "".join(root.stack) if root is not None else None),
            "redacted_fields": [n for n, hit in (("message", masked_message), ("stack_trace", masked_stack)) if hit],
            "source": SOURCE,
        }

    def _log_row(self, record, base: dict, kind: str | None) -> dict:
        entry = record.event_log_entry
        message, masked = REDACTOR.text(entry.user_message or "")
        return {
            **base,
            "id": row_id(self.run_id, record.storage_id, "logs"),
            "job_name": self.meta["job_name"],
            "step_key": entry.step_key,
            "kind": "log",
            "level": _LEVELS.get(entry.level, logging.getLevelName(entry.level).lower()),
            "message": message,
            "fields": json.dumps({"dagster_event": kind}) if kind else None,
            "redacted_fields": ["message"] if masked else [],
            "source": SOURCE,
        }


def _error_chain(error) -> list:
    """The error and its causes, outermost first, cut below Dagster's own wrappers."""
    chain = []
    while error is not None and len(chain) < 20:
        chain.append(error)
        if error.cls_name not in _WRAPPERS or error.cause is None:
            break
        error = error.cause
    return chain


def _classify(chain: list, error_class: str, message: str):
    """The code of the innermost error a rule recognizes; a wrapper's code if only it is known."""
    code = classify(error_class, message)
    for outer in reversed(chain[:-1]):
        if code.code != "unknown":
            break
        code = classify(outer.cls_name or "", outer.message or "")
    return code


def _strip_class(message: str | None, error_class: str) -> str:
    """``pkg.mod.ValueError: bad row`` → ``bad row``: the class has its own column."""
    text = (message or "").strip()
    head, sep, rest = text.partition(": ")
    if sep and (head == error_class or head.endswith("." + error_class)):
        return rest.strip()
    return "" if head in (error_class, ) or head.endswith("." + error_class) else text


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
