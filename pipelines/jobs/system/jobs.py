"""The system jobs: lake compaction, retention, backup and health check."""


import dagster as dg
from pydantic import Field

from pipelines.home import resolve_home
from pipelines.instance import COMPACTION_POOL, POOL_TAG, job_type_tags
from pipelines.telemetry.resource import TelemetryResource

SYSTEM_TAGS = job_type_tags("system", priority=5, team="platform")


class CompactionConfig(dg.Config):
    tables: list[str] = Field(default_factory=list, description="Tables to compact; empty = all.")
    target_file_mb: int = Field(default=256, description="Target size of a compacted file.")


class RetentionConfig(dg.Config):
    retention_days: dict[str, int] = Field(default_factory=dict, description="Days kept per lake table, over the defaults.")
    purge_dagster: bool = Field(default=True, description="Also delete old Dagster runs and event logs (runs' retention).")


class BackupConfig(dg.Config):
    keep: int = Field(default=7, description="Backups kept; older ones are deleted after a successful backup.")


class HealthConfig(dg.Config):
    min_free_gb: float = Field(default=1.0, description="Free disk below this fails the check.")
    max_queued_hours: float = Field(default=6.0, description="A run queued longer (queue not paused) is marked failed.")
    mark_failed: bool = Field(default=True, description="Mark stuck runs failed (otherwise only report them).")


@dg.op(pool=COMPACTION_POOL)
def compact_lake(context: dg.OpExecutionContext, config: CompactionConfig, telemetry: TelemetryResource) -> dg.Output:
    """Merges landing files into compacted files per table and day; quarantines damaged files."""
    from pipelines.lake.compaction import compact

    with telemetry.step(context) as t:
        report = compact(resolve_home().ensure().lake, tuple(config.tables) or None, config.target_file_mb)
        summary = {"days_compacted": report.days_compacted, "landing_files_merged": report.landing_files_merged,
                   "rows_written": report.rows_written, "files_written": report.files_written,
                   "quarantined": len(report.quarantined), "garbage_removed": report.garbage_removed}
        for path, reason in report.quarantined:
            t.warning("file quarantined", path=path, reason=reason)
        t.snapshot("output", "compaction", summary)
        return dg.Output(None, metadata=summary)


@dg.op
def expire_lake_partitions(context: dg.OpExecutionContext, config: RetentionConfig, telemetry: TelemetryResource) -> dg.Output:
    """Archives rows of important runs, then deletes lake day partitions past each table's retention."""
    from pipelines.jobs.system.retention import apply_lake_retention, important_run_ids, retention_days

    with telemetry.step(context) as t:
        lake = resolve_home().ensure().lake
        important = important_run_ids(lake, _important_in_instance(context.instance))
        report = apply_lake_retention(lake, retention_days(config.retention_days), important)
        summary = {"rows_deleted": sum(report.rows_deleted.values()),
                   "rows_archived": sum(report.rows_archived.values()),
                   "days_deleted": sum(len(d) for d in report.days_deleted.values()), "important_runs": len(important)}
        t.info("lake retention applied", **summary, per_table=report.rows_deleted)
        t.snapshot("output", "lake_retention", {**summary, "days": report.days_deleted})
        return dg.Output(None, metadata=summary)


def _important_in_instance(instance) -> set[str]:
    from pipelines.jobs.system.retention import IMPORTANT_TAG

    return {r.run_id for r in instance.get_runs(dg.RunsFilter(tags={IMPORTANT_TAG: "true"}))}


@dg.op(ins={"after_lake": dg.In(dg.Nothing)})
def purge_dagster_runs(context: dg.OpExecutionContext, config: RetentionConfig, telemetry: TelemetryResource) -> dg.Output:
    """Deletes Dagster runs and event logs older than the runs table's retention, keeping important runs."""
    from pipelines.jobs.system.retention import purge_dagster_history, retention_days

    with telemetry.step(context) as t:
        if not config.purge_dagster:
            t.info("Dagster history purge disabled by config")
            return dg.Output(None, metadata={"dagster_runs_deleted": 0})
        keep = retention_days(config.retention_days)["runs"]
        report = purge_dagster_history(context.instance, keep)
        summary = {"dagster_runs_deleted": report.dagster_runs_deleted,
                   "dagster_runs_kept_important": report.dagster_runs_kept_important, "keep_days": keep}
        t.info("Dagster history purged", **summary)
        return dg.Output(None, metadata=summary)


@dg.op
def back_up_home(context: dg.OpExecutionContext, config: BackupConfig, telemetry: TelemetryResource) -> dg.Output:
    """Copies warehouse, lake and knowledge base to a timestamped folder with a checksum manifest."""
    from pipelines.jobs.system.backup import backup

    with telemetry.step(context) as t:
        report = backup(resolve_home().ensure(), keep=config.keep)
        summary = {"path": str(report.path), "files": report.files, "bytes": report.bytes}
        t.snapshot("output", "backup", summary)
        return dg.Output(None, metadata=summary)


@dg.op
def check_health(context: dg.OpExecutionContext, config: HealthConfig, telemetry: TelemetryResource) -> dg.Output:
    """Checks lake, instance and disk, and marks stuck runs (past max runtime, queued too long, dead worker) failed."""
    from pipelines.jobs.system.health_run import run_health_check

    with telemetry.step(context) as t:
        report = run_health_check(context.instance, resolve_home().ensure(), config.min_free_gb,
                                  config.max_queued_hours * 3600, config.mark_failed, exclude_run_id=context.run_id)
        for check in report.checks:
            (t.info if check.ok else t.warning)(f"{check.name}: {check.detail}", check=check.name, ok=check.ok)
        for run_id, kind, reason in report.failed_runs:
            t.warning(f"stuck run {run_id}: {reason}", stuck_run_id=run_id, kind=kind)
        summary = {"healthy": report.healthy, "failed_checks": sum(not c.ok for c in report.checks),
                   "stuck_runs": len(report.failed_runs)}
        t.snapshot("output", "health", {**summary, "checks": [vars(c) for c in report.checks],
                                        "stuck": [list(r) for r in report.failed_runs]})
        return dg.Output(None, metadata=summary)


@dg.job(name="lake_compaction", tags={**SYSTEM_TAGS, POOL_TAG: COMPACTION_POOL})
def lake_compaction_job():
    """Compacts the lake's landing files (one compaction at a time: pool lake_compaction)."""
    compact_lake()


@dg.job(name="retention_cleanup", tags=SYSTEM_TAGS)
def retention_cleanup_job():
    """Applies per-table retention to the lake (important runs archived first) and purges old Dagster runs."""
    purge_dagster_runs(after_lake=expire_lake_partitions())


@dg.job(name="backup", tags=SYSTEM_TAGS)
def backup_job():
    """Backs up warehouse, lake and knowledge base with a checksum manifest."""
    back_up_home()


@dg.job(name="health_check", tags=SYSTEM_TAGS)
def health_check_job():
    """Checks lake, instance and disk; marks stuck and dead-worker runs failed with the reason."""
    check_health()


SYSTEM_JOBS = (lake_compaction_job, retention_cleanup_job, backup_job, health_check_job)
