"""Sensors of the telemetry area."""

from __future__ import annotations

import dagster as dg

from pipelines.errors import JoblensError
from pipelines.home import resolve_home

CAPTURE_INTERVAL_S = 30
# Below Dagster's 60 s sensor evaluation timeout; a larger backlog is read over several ticks.
TICK_BUDGET_S = 40


@dg.sensor(
    name="telemetry_capture_sensor",
    minimum_interval_seconds=CAPTURE_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def telemetry_capture_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Copies new run, step, log and failure events from the Dagster event log into the JobLens lake."""
    from pipelines.telemetry.capture import capture

    try:
        report = capture(context.instance, resolve_home(), time_budget_s=TICK_BUDGET_S)
    except JoblensError as exc:  # e.g. a capture already running from the CLI: the next tick catches up
        return dg.SkipReason(str(exc))
    summary = ", ".join(f"{n} {t}" for t, n in report.rows.items()) + ("" if report.complete else "; more to read")
    context.log.info(f"captured {report.events} events of {report.runs} runs: {summary}")
    return dg.SkipReason(f"captured {report.events} events of {report.runs} runs ({summary})")
