"""System jobs: lake compaction, retention, backup and health check, plus delayed run retries."""

import dagster as dg


def definitions() -> dg.Definitions:
    """System jobs, their schedules and the run retry sensor (``telemetry`` is bound by the code location)."""
    from pipelines.jobs.run_retry import run_retry_sensor
    from pipelines.jobs.system.jobs import SYSTEM_JOBS
    from pipelines.jobs.system.schedules import SYSTEM_SCHEDULES

    return dg.Definitions(jobs=list(SYSTEM_JOBS), schedules=list(SYSTEM_SCHEDULES), sensors=[run_retry_sensor])
