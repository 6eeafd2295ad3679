"""Workflow triggers inside Dagster: a schedule per cron in a file, a file-drop sensor per workflow.

The inbox of a workflow is ``JOBLENS_HOME/inbox/<workflow>/``. Each ``*.json`` file in it
is one run's payload: a valid file starts a run and moves to ``processed/``, an invalid one
moves to ``failed/`` beside a ``<file>.error.txt`` giving the reason. Write a file under
another name and rename it to ``*.json`` when complete; a file that does not parse yet and
changed in the last few seconds is left for the next tick.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from pipelines.home import resolve_home
from pipelines.jobs.workflows.factory import run_config
from pipelines.jobs.workflows.spec import WorkflowSpec, payload_error

MAX_FILES_PER_TICK = 50
SETTLE_S = 5.0


def inbox_dir(workflow: str) -> Path:
    """The inbox folder of a workflow (``JOBLENS_HOME`` read at call time)."""
    return resolve_home().root / "inbox" / workflow


def workflow_schedule(spec: WorkflowSpec, job: dg.JobDefinition) -> dg.ScheduleDefinition:
    assert spec.schedule is not None
    return dg.ScheduleDefinition(
        name=f"{spec.job_name}_schedule",
        cron_schedule=spec.schedule.cron,
        execution_timezone=spec.schedule.timezone,
        job=job,
        run_config=run_config(spec, spec.schedule.input),
        description=f"Runs workflow {spec.name} on cron '{spec.schedule.cron}' ({spec.schedule.timezone}).",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def _move(path: Path, folder: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # the same name dropped again: keep both
        target = target_dir / f"{path.stem}.{time.time_ns()}{path.suffix}"
    path.replace(target)
    return target


def _reject(path: Path, reason: str) -> None:
    moved = _move(path, "failed")
    moved.with_name(moved.name + ".error.txt").write_text(reason + "\n")


def inbox_requests(spec: WorkflowSpec, inbox: Path, log) -> list[dg.RunRequest]:
    """Run requests for the payload files in ``inbox``; each file is moved once decided."""
    requests = []
    for path in sorted(inbox.glob("*.json"))[:MAX_FILES_PER_TICK]:
        raw = path.read_bytes()
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            if time.time() - path.stat().st_mtime < SETTLE_S:
                continue  # probably still being written
            _reject(path, f"{path.name}: not valid JSON: {exc}")
            log.warning(f"inbox {spec.name}: rejected {path.name}: not valid JSON")
            continue
        reason = payload_error(spec.inputs, payload)
        if reason:
            _reject(path, f"{path.name}: {reason}")
            log.warning(f"inbox {spec.name}: rejected {path.name}: {reason}")
            continue
        moved = _move(path, "processed")
        digest = hashlib.sha256(raw).hexdigest()[:16]
        requests.append(dg.RunRequest(
            run_key=f"{path.name}:{digest}:{moved.stat().st_mtime_ns}",
            run_config=run_config(spec, payload),
            tags={"joblens/trigger_source": f"inbox/{spec.name}/{path.name}", "joblens/inbox_file": str(moved)},
        ))
    return requests


def inbox_sensor(spec: WorkflowSpec, job: dg.JobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{spec.job_name}_inbox_sensor",
        job=job,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts workflow {spec.name} for each JSON payload dropped in JOBLENS_HOME/inbox/{spec.name}/.",
    )
    def workflow_inbox_sensor(context: dg.SensorEvaluationContext):
        inbox = inbox_dir(spec.name)
        if not inbox.is_dir():
            inbox.mkdir(parents=True, exist_ok=True)
            return dg.SkipReason(f"created the inbox {inbox}")
        requests = inbox_requests(spec, inbox, context.log)
        if not requests:
            return dg.SkipReason(f"no valid payload in {inbox}")
        return dg.SensorResult(run_requests=requests)

    return workflow_inbox_sensor
