"""Phase 2: real runs of every job kind through the Dagster instance, then captured.

Each run uses the job as the code location defines it (``pipelines.definitions``), on
the persisted instance, so the Dagster UI lists it with its events. Most execute in
process; the cancelled one runs in a run worker (``cancel.py``). Failures are the
real ones: a 503 from the local enrichment API retried by the workflow's retry profile,
and a payload the workflow's input schema rejects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from pipelines.demo.enrichment_api import EnrichmentApi
from pipelines.demo.environment import QUIET_LOGGERS
from pipelines.home import Home

DEMO_SOURCE = "joblens demo"
BACKUPS_KEPT = 3


@dataclass(frozen=True)
class PlannedRun:
    """One run the demo launches: which job, why, with what config, and what should happen."""

    job_name: str
    role: str
    expected: str  # completed, failed or cancelled
    run_config: dict = field(default_factory=dict)
    cancel_at_step: str | None = None  # run in a run worker and cancel once this step runs


@dataclass
class LaunchedRun:
    run_id: str
    job_name: str
    job_type: str
    role: str
    expected: str
    status: str


def plan_runs(api: EnrichmentApi, history_start: date) -> list[PlannedRun]:
    """Every shipped workflow once, the three failure stories, the knowledge and system jobs."""
    from pipelines.jobs.workflows.factory import run_config
    from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS, find_workflow, load_workflows

    runs = [PlannedRun(s.job_name, "example payload", "completed", run_config(s, _example(s, api)))
            for s in load_workflows(SHIPPED_WORKFLOWS).specs]
    lead = find_workflow("lead_enrichment", SHIPPED_WORKFLOWS)
    flaky = {**_example(lead, api), "enrichment_url": api.url("flaky", uuid.uuid4().hex[:12])}
    slow = {**_example(lead, api), "enrichment_url": api.url("slow")}
    triage = find_workflow("support_ticket_triage", SHIPPED_WORKFLOWS)
    invalid = {**(triage.example or {}), "plan": "platinum"}  # not one of the schema's plans
    lookup = next(f"{lead.name}__{s.name}" for s in lead.steps if s.kind == "http")
    runs += [
        PlannedRun(lead.job_name, "enrichment API answers 503 once; the step is retried", "completed",
                   run_config(lead, flaky)),
        PlannedRun(triage.job_name, "payload rejected by the input schema", "failed", run_config(triage, invalid)),
        PlannedRun(lead.job_name, "cancelled while the lookup step waits on the API", "cancelled",
                   run_config(lead, slow), cancel_at_step=lookup),
    ]
    return runs + _knowledge_runs() + _system_runs(history_start)


def _example(spec, api: EnrichmentApi) -> dict:
    """The workflow's example payload, with URL inputs pointed at the demo's local API."""
    payload = dict(spec.example or {})
    for name in spec.inputs.get("properties", {}):
        if name.endswith("_url"):
            payload[name] = api.url("ok")
    return payload


def _knowledge_runs() -> list[PlannedRun]:
    from pipelines.jobs.knowledge.jobs import SHIPPED_CORPUS

    source = {"ops": {"discover_documents": {"config": {"source_dir": str(SHIPPED_CORPUS)}}}}
    return [PlannedRun("knowledge_index", f"index {SHIPPED_CORPUS.name}/ documents", "completed", source),
            PlannedRun("knowledge_refresh", "re-index changed documents only", "completed", source)]


def _system_runs(history_start: date) -> list[PlannedRun]:
    from pipelines.jobs.system.retention import DEFAULT_RETENTION_DAYS

    # The default policy, widened so that none of the demo's history is old enough to expire.
    history_days = (datetime.now(timezone.utc).date() - history_start).days + 2
    keep = {table: max(days, history_days) for table, days in DEFAULT_RETENTION_DAYS.items()}
    retention = {"ops": {op: {"config": {"retention_days": keep}}
                         for op in ("expire_lake_partitions", "purge_dagster_runs")}}
    return [
        PlannedRun("lake_compaction", "merge landing files", "completed"),
        PlannedRun("health_check", "lake, instance, disk and stuck runs", "completed"),
        PlannedRun("retention_cleanup", "default retention; the demo's history is kept", "completed", retention),
        PlannedRun("backup", "warehouse, lake and knowledge base", "completed",
                   {"ops": {"back_up_home": {"config": {"keep": BACKUPS_KEPT}}}}),
    ]


def execute(planned: PlannedRun, defs, instance, home: Home) -> LaunchedRun:
    """Run one planned run to its end on ``instance``; what it became."""
    tags = {"joblens/trigger": "manual", "joblens/trigger_source": DEMO_SOURCE, "joblens/demo_role": planned.role}
    job = defs.resolve_job_def(planned.job_name)
    config = {**planned.run_config, **QUIET_LOGGERS}
    if planned.cancel_at_step:
        from pipelines.demo.cancel import run_and_cancel

        run_id = run_and_cancel(instance, home, planned.job_name, config, {**job.tags, **tags}, planned.cancel_at_step)
    else:
        run_id = job.execute_in_process(run_config=config, instance=instance, tags=tags, raise_on_error=False).run_id
    run = instance.get_run_by_id(run_id)
    return LaunchedRun(run_id, planned.job_name, run.tags.get("joblens/job_type", "unknown"), planned.role,
                       planned.expected, _status(run.status.value))


def _status(dagster_status: str) -> str:
    """The lake's word for a Dagster run status."""
    words = {"SUCCESS": "completed", "FAILURE": "failed", "CANCELED": "cancelled", "CANCELING": "cancelled"}
    return words.get(dagster_status, dagster_status.lower())
