"""Run control: cancel, retry, pause/resume the queue, reprioritize; each recorded in the lake.

Every action writes one ``logs`` row of kind ``control`` (fields ``action``, ``actor``
and what the action changed), so the record shows who held the queue during an outage
or bumped a run ahead of others, and when. Actions that concern the queue rather than a
run carry an empty ``run_id``.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.errors import JoblensError
from pipelines.instance import PRIORITY_TAG
from pipelines.lake.writer import LakeWriter

CONTROL_SOURCE = "control"
REPRIORITIZED_TO_TAG = "joblens/reprioritized_to"


def current_actor() -> str:
    """Who is acting: ``$USER``, else the login name."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_control(lake: Path, action: str, actor: str, run_id: str = "", job_name: str | None = None,
                   message: str = "", **fields: Any) -> str:
    """Write one control row to the lake's ``logs`` table; returns its id."""
    row_id = uuid.uuid4().hex
    payload = {"action": action, "actor": actor, **{k: v for k, v in fields.items() if v is not None}}
    with LakeWriter(lake) as writer:
        writer.add("logs", {
            "id": row_id,
            "run_id": run_id,
            "ts": datetime.now(timezone.utc),
            "job_name": job_name,
            "step_key": None,
            "kind": "control",
            "level": "info",
            "message": message or f"{action} by {actor}",
            "fields": json.dumps(payload, sort_keys=True, default=str),
            "redacted_fields": [],
            "source": CONTROL_SOURCE,
        })
    return row_id


def get_run(instance, run_id: str):
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise JoblensError(f"no run with id {run_id!r} in the Dagster instance")
    return run


def cancel_run(instance, lake: Path, run_id: str, actor: str, force: bool = False) -> str:
    """Cancel a queued or running run; with ``force`` mark it cancelled even if its worker cannot be reached.

    Returns the run's status afterwards.
    """
    from dagster import DagsterRunStatus

    run = get_run(instance, run_id)
    if run.is_finished:
        raise JoblensError(f"run {run_id} already finished ({run.status.value.lower()}); nothing to cancel")
    was = run.status.value.lower()
    accepted = instance.run_coordinator.cancel_run(run_id)
    if not accepted and force:
        instance.report_run_canceled(get_run(instance, run_id), message=f"Marked cancelled by {actor} (forced).")
        accepted = True
    if not accepted:
        raise JoblensError(
            f"run {run_id}: its run worker did not accept the cancellation; retry with --force to mark it cancelled"
        )
    record_control(lake, "cancel", actor, run_id, run.job_name, f"run cancelled by {actor} (was {was})",
                   previous_status=was, forced=force or None)
    status = get_run(instance, run_id).status
    return "cancelled" if status == DagsterRunStatus.CANCELED else status.value.lower()


def pause_queue(instance, lake: Path, actor: str, reason: str = "") -> dict:
    """Hold every queued run (and every run submitted later) until ``resume_queue``."""
    from pipelines.jobs.run_queue import queue_pause_state, set_queue_paused

    if queue_pause_state(instance) is not None:
        raise JoblensError("the run queue is already paused; `joblens jobs resume` releases it")
    state = set_queue_paused(instance, True, actor, reason)
    held = _queued_count(instance)
    record_control(lake, "pause", actor, message=f"run queue paused by {actor}" + (f": {reason}" if reason else ""),
                   reason=reason or None, queued_runs=held)
    return {**state, "queued_runs": held}


def resume_queue(instance, lake: Path, actor: str) -> dict:
    """Release the queue: the daemon launches held runs again, highest priority first."""
    from pipelines.jobs.run_queue import queue_pause_state, set_queue_paused

    previous = queue_pause_state(instance)
    if previous is None:
        raise JoblensError("the run queue is not paused")
    state = set_queue_paused(instance, False, actor)
    released = _queued_count(instance)
    record_control(lake, "resume", actor, message=f"run queue resumed by {actor}", queued_runs=released,
                   paused_by=previous.get("actor"), paused_since=previous.get("since"))
    return {**state, "queued_runs": released}


def reprioritize(instance, lake: Path, run_id: str, priority: int, actor: str) -> str:
    """Re-queue a queued run with a new ``dagster/priority`` and cancel the old one; the new run id.

    Dagster cannot change the tags the queue sorts by in place in a way the queue
    honours for an already-queued run; a copy with the new tag, then cancelling the
    original, is safe: the copy is queued before the original leaves the queue.
    """
    from dagster import DagsterRunStatus

    run = get_run(instance, run_id)
    if run.status != DagsterRunStatus.QUEUED:
        raise JoblensError(f"run {run_id} is {run.status.value.lower()}, not queued; only queued runs can be reprioritized")
    old = run.tags.get(PRIORITY_TAG)
    tags = {**run.tags, PRIORITY_TAG: str(int(priority)), "joblens/reprioritized_from": run_id}
    copy = copy_queued_run(instance, run, tags)
    instance.add_run_tags(run_id, {REPRIORITIZED_TO_TAG: copy.run_id})
    instance.run_coordinator.cancel_run(run_id)
    record_control(lake, "reprioritize", actor, run_id, run.job_name,
                   f"run re-queued as {copy.run_id} with priority {priority} (was {old or 0}) by {actor}",
                   new_run_id=copy.run_id, old_priority=int(old) if old else 0, priority=int(priority))
    return copy.run_id


def copy_queued_run(instance, run, tags: dict):
    """A new queued run with the same job, config and plan as ``run`` and the given tags."""
    from dagster._core.storage.tags import RUN_KEY_TAG

    tags = {k: v for k, v in tags.items() if k != RUN_KEY_TAG}  # a run key would dedupe the copy away
    new = instance.create_run(
        job_name=run.job_name,
        run_id=None,
        run_config=run.run_config,
        status=None,
        tags=tags,
        root_run_id=run.root_run_id,
        parent_run_id=run.parent_run_id,
        step_keys_to_execute=run.step_keys_to_execute,
        execution_plan_snapshot=instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id),
        job_snapshot=instance.get_job_snapshot(run.job_snapshot_id),
        parent_job_snapshot=None,
        asset_selection=run.asset_selection,
        asset_check_selection=run.asset_check_selection,
        resolved_op_selection=run.resolved_op_selection,
        op_selection=run.op_selection,
        remote_job_origin=run.remote_job_origin,
        job_code_origin=run.job_code_origin,
        asset_graph=None,
    )
    return instance.submit_run(new.run_id, workspace=None)


def retry_run(instance, lake: Path, run_id: str, actor: str, job_def=None) -> str:
    """Re-execute a failed or cancelled run from its failure; the new run id (queued)."""
    from pipelines.jobs.run_retry import reexecute_from_failure

    run = get_run(instance, run_id)
    if not run.is_finished or run.is_success:
        raise JoblensError(f"run {run_id} is {run.status.value.lower()}; only failed or cancelled runs can be retried")
    job_def = job_def or load_job_def(run.job_name)
    new = reexecute_from_failure(instance, run, job_def, {"joblens/trigger": "manual", "joblens/retried_by": actor})
    record_control(lake, "retry", actor, run_id, run.job_name, f"run re-executed from failure as {new.run_id} by {actor}",
                   new_run_id=new.run_id, steps=list(new.step_keys_to_execute or []) or None)
    return new.run_id


def load_job_def(job_name: str):
    """A job of the JobLens code location, by name."""
    from pipelines.definitions import defs

    definitions = defs() if callable(defs) else defs
    try:
        return definitions.resolve_job_def(job_name)
    except Exception:  # Dagster raises several types for an unknown job
        raise JoblensError(
            f"job {job_name!r} is not in the JobLens code location; re-execute it from the Dagster UI"
        ) from None


def _queued_count(instance) -> int:
    from dagster import DagsterRunStatus, RunsFilter

    return instance.get_runs_count(RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
