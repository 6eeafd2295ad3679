"""The code location the queue tests serve over gRPC: JobLens's knowledge and system jobs plus small probe jobs."""

import os
import time
from pathlib import Path

import dagster as dg

from pipelines.instance import job_type_tags
from pipelines.jobs.knowledge import definitions as knowledge_definitions
from pipelines.jobs.run_retry import RUN_RETRY_PROFILE_TAG
from pipelines.jobs.system import definitions as system_definitions
from pipelines.telemetry.resource import TelemetryResource


class NapConfig(dg.Config):
    seconds: float = 0.0


@dg.op
def nap(context: dg.OpExecutionContext, config: NapConfig, telemetry: TelemetryResource) -> None:
    with telemetry.step(context) as t:
        t.info("napping", seconds=config.seconds)
        time.sleep(config.seconds)


@dg.job(tags=job_type_tags("workflow", priority=0, team="qa"))
def probe_job():
    nap()


@dg.op
def call_flaky_upstream(context: dg.OpExecutionContext, telemetry: TelemetryResource) -> None:
    """Fails with a connection error until the marker file exists; the first attempt creates it."""
    marker = Path(os.environ["JOBLENS_HOME"]) / "flaky_upstream_recovered"
    with telemetry.step(context) as t:
        if not marker.exists():
            marker.write_text("ok")
            error = ConnectionError("upstream connection reset by peer")
            t.record_error(error)
            raise error
        t.info("upstream answered")


@dg.op
def reject_bad_data(context: dg.OpExecutionContext) -> None:
    raise ValueError("schema validation failed: field 'amount' must be a number")


@dg.job(tags={**job_type_tags("workflow", team="qa"), RUN_RETRY_PROFILE_TAG: "fast"})
def flaky_job():
    call_flaky_upstream()


@dg.job(tags={**job_type_tags("workflow", team="qa"), RUN_RETRY_PROFILE_TAG: "fast"})
def bad_data_job():
    reject_bad_data()


defs = dg.Definitions.merge(
    knowledge_definitions(),
    system_definitions(),
    dg.Definitions(
        jobs=[probe_job, flaky_job, bad_data_job],
        resources={"telemetry": TelemetryResource(land_every_step=True, mirror_to_dagster_log=False)},
    ),
)
