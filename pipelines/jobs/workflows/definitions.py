"""Dagster definitions of the workflow files: a job, its schedule and its inbox sensor each.

A file that fails to load is logged as a ``workflow_errors`` record when the code
location loads, and the other workflows load as usual.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from pipelines.jobs.workflows.factory import build_job
from pipelines.jobs.workflows.loader import LoadResult, load_workflows
from pipelines.jobs.workflows.triggers import inbox_sensor, workflow_schedule

log = logging.getLogger("joblens.workflows")


def workflow_definitions(loaded: LoadResult) -> dg.Definitions:
    jobs, schedules, sensors = [], [], []
    for spec in loaded.specs:
        job = build_job(spec)
        jobs.append(job)
        sensors.append(inbox_sensor(spec, job))
        if spec.schedule is not None:
            schedules.append(workflow_schedule(spec, job))
    metadata = {"workflow_errors": loaded.errors} if loaded.errors else None
    return dg.Definitions(jobs=jobs, schedules=schedules, sensors=sensors, metadata=metadata)


def definitions(folder: Path | None = None) -> dg.Definitions:
    loaded = load_workflows(folder)
    for error in loaded.errors:
        log.error("workflow_errors: %s", error)
    return workflow_definitions(loaded)
