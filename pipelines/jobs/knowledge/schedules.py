"""When the knowledge jobs run on their own; each is also runnable by hand from the UI."""

import dagster as dg

from pipelines.jobs.knowledge.jobs import knowledge_cleanup_job, knowledge_optimize_job, knowledge_refresh_job

knowledge_refresh_schedule = dg.ScheduleDefinition(
    name="knowledge_refresh_schedule", job=knowledge_refresh_job, cron_schedule="15 * * * *",
    execution_timezone="UTC", description="Hourly: re-index changed documents, drop removed ones.",
)
knowledge_cleanup_schedule = dg.ScheduleDefinition(
    name="knowledge_cleanup_schedule", job=knowledge_cleanup_job, cron_schedule="30 3 * * 0",
    execution_timezone="UTC", description="Weekly: remove duplicate and orphaned chunks.",
)
knowledge_optimize_schedule = dg.ScheduleDefinition(
    name="knowledge_optimize_schedule", job=knowledge_optimize_job, cron_schedule="0 4 * * 0",
    execution_timezone="UTC", description="Weekly, after cleanup: rebuild and checkpoint the store.",
)

KNOWLEDGE_SCHEDULES = (knowledge_refresh_schedule, knowledge_cleanup_schedule, knowledge_optimize_schedule)
