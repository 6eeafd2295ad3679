"""Run-level retries with delay and backoff, and re-execution from failure.

Dagster's own run retries relaunch a failed run at once. A JobLens run opts in with the
tag ``joblens/run_retry_profile`` (a retry profile name from ``pipelines.jobs.retry``);
``run_retry_sensor`` then re-executes the failed run from its failure only once the
profile's delay for that attempt has passed since the failure, and only when the
failure is transient by the error taxonomy (a run whose worker died counts as
transient). The retry carries ``dagster/parent_run_id`` / ``dagster/root_run_id``,
``joblens/trigger=retry``, its attempt number and the wait before it; the decision is
a ``control`` row in the lake.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

RUN_RETRY_PROFILE_TAG = "joblens/run_retry_profile"
RUN_ATTEMPT_TAG = "joblens/run_attempt"
RETRY_WAIT_TAG = "joblens/retry_wait_s"
RETRY_DECISION_TAG = "joblens/run_retry"  # on the failed run: "launched:<id>", "not_transient:<code>", "exhausted"
LOOKBACK_S = 7 * 24 * 3600


def reexecute_from_failure(instance, parent, job_def, extra_tags: dict | None = None):
    """Create and submit a run re-executing ``parent``'s unfinished steps; the new ``DagsterRun``.

    Built from the job definition rather than a workspace, so a sensor (which has the
    repository but no workspace) and the CLI share it. The new run keeps the parent's
    code origin, so the queue daemon launches it in the parent's code location.
    """
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.execution.plan.state import KnownExecutionState
    from dagster._core.storage.tags import PARENT_RUN_ID_TAG, RESUME_RETRY_TAG, ROOT_RUN_ID_TAG, RUN_KEY_TAG

    step_keys, known_state = KnownExecutionState.build_resume_retry_reexecution(instance, parent_run=parent)
    job = job_def.get_subset(op_selection=parent.op_selection) if parent.op_selection else job_def
    plan = create_execution_plan(
        job, run_config=parent.run_config, step_keys_to_execute=step_keys, known_state=known_state,
        instance_ref=instance.get_ref() if instance.is_persistent else None,
    )
    inherited = {k: v for k, v in parent.tags.items() if not k.startswith(".dagster") and k != RUN_KEY_TAG}
    inherited = {k: v for k, v in inherited.items() if k != RETRY_DECISION_TAG}
    root = parent.root_run_id or parent.run_id
    tags = {**inherited, **(extra_tags or {}), RESUME_RETRY_TAG: "true",
            PARENT_RUN_ID_TAG: parent.run_id, ROOT_RUN_ID_TAG: root}
    run = instance.create_run_for_job(
        job_def=job, execution_plan=plan, run_config=parent.run_config, tags=tags,
        root_run_id=root, parent_run_id=parent.run_id,
        status=dg.DagsterRunStatus.NOT_STARTED, op_selection=parent.op_selection,
        resolved_op_selection=parent.resolved_op_selection,
        remote_job_origin=parent.remote_job_origin, job_code_origin=parent.job_code_origin,
    )
    if parent.remote_job_origin is None:  # launched outside a workspace (tests, scripts): run it here
        return run
    return instance.submit_run(run.run_id, workspace=None)


@dataclass(frozen=True)
class RetryDecision:
    run_id: str
    action: str  # "launch", "wait", "not_transient", "exhausted"
    attempt: int
    wait_s: float
    error_code: str | None = None


def decide(instance, run, now: float | None = None) -> RetryDecision:
    """What to do about a failed run that opted in to run retries."""
    from pipelines.jobs.retry import resolve_profile

    attempt = int(run.tags.get(RUN_ATTEMPT_TAG, "1"))
    profile = resolve_profile(run.tags[RUN_RETRY_PROFILE_TAG], f"run {run.run_id} tag {RUN_RETRY_PROFILE_TAG}")
    code, transient = failure_code(instance, run.run_id)
    if not transient:
        return RetryDecision(run.run_id, "not_transient", attempt, 0.0, code)
    if attempt > profile.max_retries:
        return RetryDecision(run.run_id, "exhausted", attempt, 0.0, code)
    wait = profile.delay_s(attempt, run.root_run_id or run.run_id)
    record = instance.get_run_record_by_id(run.run_id)
    failed_at = record.end_time if record and record.end_time else time.time()
    due = (now or time.time()) >= failed_at + wait
    return RetryDecision(run.run_id, "launch" if due else "wait", attempt, wait, code)


def failure_code(instance, run_id: str) -> tuple[str, bool]:
    """The error code of a run's first step failure and whether it is transient.

    A step that failed through ``retry_or_fail`` carries its code in the failure
    metadata; otherwise the exception is classified. No step failure at all means the
    run worker or the infrastructure failed: transient.
    """
    from pipelines.telemetry.taxonomy import ERROR_CODES, classify

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    for record in records:
        data = record.event_log_entry.dagster_event.step_failure_data
        user = data.user_failure_data
        if user is not None and "joblens/error_code" in (user.metadata or {}):
            code = user.metadata["joblens/error_code"].value
            if code in ERROR_CODES:
                return code, ERROR_CODES[code].transient
        error = data.error
        while error is not None and error.cause is not None and error.cls_name in _WRAPPERS:
            error = error.cause
        if error is not None:
            found = classify(error.cls_name or "", error.message or "")
            return found.code, found.transient
    return "unknown", True


_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError", "RetryRequestedFromPolicy"}


def process_failed_runs(instance, lake: Path, job_lookup, now: float | None = None) -> list[RetryDecision]:
    """Decide on every failed opted-in run not yet handled; launch the due retries."""
    from pipelines.jobs.control import record_control

    decisions = []
    since = (now or time.time()) - LOOKBACK_S
    records = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE],
                      updated_after=_utc(since)), limit=500,
    )
    for record in records:
        run = record.dagster_run
        if RUN_RETRY_PROFILE_TAG not in run.tags or RETRY_DECISION_TAG in run.tags:
            continue
        decision = decide(instance, run, now)
        decisions.append(decision)
        if decision.action == "wait":
            continue
        if decision.action == "launch":
            new = _existing_child(instance, run.run_id) or reexecute_from_failure(
                instance, run, job_lookup(run.job_name),
                {"joblens/trigger": "retry", RUN_ATTEMPT_TAG: str(decision.attempt + 1),
                 RETRY_WAIT_TAG: f"{decision.wait_s:.3f}"},
            )
            outcome = f"launched:{new.run_id}"
            message = f"run retry {decision.attempt + 1} launched as {new.run_id} after waiting {decision.wait_s:.1f}s"
        else:
            outcome = decision.action if decision.action == "exhausted" else f"not_transient:{decision.error_code}"
            message = f"run not retried: {decision.action.replace('_', ' ')} ({decision.error_code})"
        instance.add_run_tags(run.run_id, {RETRY_DECISION_TAG: outcome})
        record_control(lake, "run_retry", "run_retry_sensor", run.run_id, run.job_name, message,
                       decision=decision.action, attempt=decision.attempt, wait_s=decision.wait_s,
                       error_code=decision.error_code, new_run_id=outcome.split(":", 1)[1] if ":" in outcome and
                       decision.action == "launch" else None)
    return decisions


def _existing_child(instance, run_id: str):
    """A retry already created for ``run_id`` (a crash between create and tag must not launch two)."""
    children = instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run_id}), limit=1)
    return children[0] if children else None


def _utc(timestamp: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(timestamp, timezone.utc)


@dg.sensor(minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING)
def run_retry_sensor(context: dg.SensorEvaluationContext):
    """Re-executes failed runs tagged joblens/run_retry_profile once the profile's delay has passed (transient failures only)."""
    from pipelines.home import resolve_home

    repository = context.repository_def
    decisions = process_failed_runs(context.instance, resolve_home().lake, repository.get_job)
    launched = [d for d in decisions if d.action == "launch"]
    waiting = [d for d in decisions if d.action == "wait"]
    return dg.SkipReason(f"{len(launched)} retries launched, {len(waiting)} failed runs waiting for their delay")
