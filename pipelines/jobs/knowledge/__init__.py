"""Knowledge-base jobs: index, refresh, optimize and clean up a DuckDB store of embedded chunks."""

import dagster as dg


def definitions() -> dg.Definitions:
    """The knowledge jobs and their schedules (the ``telemetry`` resource is bound by the code location)."""
    from pipelines.jobs.knowledge.jobs import KNOWLEDGE_JOBS
    from pipelines.jobs.knowledge.schedules import KNOWLEDGE_SCHEDULES

    return dg.Definitions(jobs=list(KNOWLEDGE_JOBS), schedules=list(KNOWLEDGE_SCHEDULES))
