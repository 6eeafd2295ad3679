"""Dagster definitions of this area, merged into the code location by pipelines/definitions.py."""

import dagster as dg

from pipelines.reporting.assets import PERIODS, report_assets
from pipelines.reporting.schedules import reports_job, reports_schedule


def definitions() -> dg.Definitions:
    jobs = {period: reports_job(period) for period in PERIODS}
    return dg.Definitions(
        assets=report_assets(),
        jobs=list(jobs.values()),
        schedules=[reports_schedule(period, job) for period, job in jobs.items()],
    )
