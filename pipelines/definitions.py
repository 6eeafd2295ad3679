"""The JobLens code location: one ``Definitions`` merged from the per-area pieces."""

import dagster as dg

from pipelines.alerts import definitions as alerts
from pipelines.jobs import definitions as jobs
from pipelines.models import definitions as models
from pipelines.reporting import definitions as reporting
from pipelines.telemetry import definitions as telemetry


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        telemetry.definitions(),
        jobs.definitions(),
        models.definitions(),
        reporting.definitions(),
        alerts.definitions(),
    )
