"""The run-failure sensor (one message per failed run, within one tick) and the rules evaluation sensor."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.tags import PARENT_RUN_ID_TAG, RETRY_NUMBER_TAG, ROOT_RUN_ID_TAG

from pipelines.home import resolve_home

RULES_INTERVAL_S = 180


def run_failure_from_dagster(instance: dg.DagsterInstance, run: dg.DagsterRun, step_failures) -> "RunFailure":
    """What a person needs from a failed run: the failing step and attempt, the error and its code; never the stack."""
    from alerting.messages import RunFailure

    step_key, attempt, error = None, None, None
    if step_failures:
        first = step_failures[0]
        step_key, error = first.step_key, first.event_specific_data.error
        restarts = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_RESTARTED)
        attempt = 1 + sum(1 for record in restarts if record.step_key == step_key)
    while error is not None and error.cause is not None:
        error = error.cause  # Dagster wraps the op's exception; the innermost one is what failed
    error_class = error.cls_name if error else None
    message = error.message if error else ""
    code, remediation = classify(error_class, message)
    return RunFailure(
        run_id=run.run_id,
        job_name=run.job_name,
        error_class=error_class,
        error_code=code,
        message=message,
        remediation=remediation,
        step_key=step_key,
        attempt=attempt,
        run_attempt=1 + int(run.tags.get(RETRY_NUMBER_TAG, "0") or 0),
        team=run.tags.get("joblens/team"),
        job_type=run.tags.get("joblens/job_type"),
        retry_succeeded=retry_succeeded(instance, run),
    )


def classify(error_class: str | None, message: str) -> tuple[str, str]:
    """The taxonomy's code and remediation for an error."""
    from pipelines.telemetry.taxonomy import classify as taxonomy_classify

    code = taxonomy_classify(error_class or "", message or "")
    return code.code, code.remediation


def retry_succeeded(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Whether a later automatic retry of this run (same root, a higher retry number) already succeeded."""
    root = run.tags.get(ROOT_RUN_ID_TAG) or run.run_id
    number = int(run.tags.get(RETRY_NUMBER_TAG, "0") or 0)
    retries = instance.get_runs(filters=dg.RunsFilter(tags={ROOT_RUN_ID_TAG: root}, statuses=[dg.DagsterRunStatus.SUCCESS]))
    return any(
        PARENT_RUN_ID_TAG in r.tags and int(r.tags.get(RETRY_NUMBER_TAG, "0") or 0) > number for r in retries
    )


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    minimum_interval_seconds=30,
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    """Sends one message per failed run: job, error code and class, first line, remediation, step, attempt and a link."""
    from alerting.failures import notify_run_failure

    failure = run_failure_from_dagster(context.instance, context.dagster_run, context.get_step_failure_events())
    outcome = notify_run_failure(resolve_home().ensure().root, failure)
    context.log.info(f"run {failure.run_id} ({failure.job_name}): {outcome.status} {outcome.reason}".strip())


@dg.sensor(
    name="alert_rules_sensor",
    minimum_interval_seconds=RULES_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_rules_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Evaluates the alert rules over the models every few minutes and sends what is due."""
    from alerting.engine import check

    report = check(resolve_home().ensure().root)
    for error in report.errors:
        context.log.warning(error)
    firing = sum(1 for a in report.alerts if a.state == "firing")
    sent = report.delivery.sent if report.delivery else 0
    return dg.SkipReason(f"{firing} firing, {len(report.planned)} notifications queued, {sent} delivered, {len(report.errors)} errors")
