"""When the system jobs run on their own; each is also runnable by hand (UI, or the CLI for retention and backup)."""

import dagster as dg

from pipelines.jobs.system.jobs import backup_job, health_check_job, lake_compaction_job, retention_cleanup_job

lake_compaction_schedule = dg.ScheduleDefinition(
    name="lake_compaction_schedule", job=lake_compaction_job, cron_schedule="5 * * * *",
    execution_timezone="UTC", description="Hourly: merge the landing files of the lake.",
)
backup_schedule = dg.ScheduleDefinition(
    name="backup_schedule", job=backup_job, cron_schedule="0 2 * * *",
    execution_timezone="UTC", description="Nightly: back up warehouse, lake and knowledge base.",
)
retention_cleanup_schedule = dg.ScheduleDefinition(
    name="retention_cleanup_schedule", job=retention_cleanup_job, cron_schedule="40 2 * * *",
    execution_timezone="UTC", description="Nightly, after the backup: apply retention to the lake and Dagster.",
)
health_check_schedule = dg.ScheduleDefinition(
    name="health_check_schedule", job=health_check_job, cron_schedule="*/10 * * * *",
    execution_timezone="UTC", description="Every 10 minutes: lake, instance, disk and stuck runs.",
)

SYSTEM_SCHEDULES = (lake_compaction_schedule, backup_schedule, retention_cleanup_schedule, health_check_schedule)
