"""When reports are rendered: daily at 06:00 UTC, weekly on Monday, monthly on the 1st."""

from __future__ import annotations

import dagster as dg

from pipelines.reporting.assets import GROUP, KINDS

CRONS = {"daily": "0 6 * * *", "weekly": "0 6 * * 1", "monthly": "0 6 1 * *"}


def reports_job(period: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"{period}_reports_job",
        selection=dg.AssetSelection.assets(*[f"{period}_{kind}_report" for kind in KINDS]),
        description=f"Render the {period} summary, reliability, performance and cost reports.",
        tags={"joblens/job_type": "system"},
    )


def reports_schedule(period: str, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{period}_reports_schedule",
        cron_schedule=CRONS[period],
        execution_timezone="UTC",
        job=job,
        description=f"The {period} reports at {CRONS[period]} (UTC); group {GROUP}.",
    )
