"""One health check pass: the checks, then stuck runs marked failed and recorded in the lake."""

from __future__ import annotations

from pipelines.home import Home
from pipelines.jobs.system.health import HealthReport, check_disk, check_instance, check_lake, mark_failed, stuck_runs


def run_health_check(instance, home: Home, min_free_gb: float = 1.0, max_queued_s: float = 6 * 3600,
                     fail_stuck: bool = True, exclude_run_id: str | None = None) -> HealthReport:
    """Check lake, instance and disk; fail stuck runs (recorded as ``mark_failed`` control rows)."""
    from pipelines.jobs.control import record_control

    report = HealthReport([check_lake(home.lake), check_instance(instance), check_disk(home.root, min_free_gb)])
    for run, kind, reason in stuck_runs(instance, max_queued_s):
        if run.run_id == exclude_run_id:
            continue
        report.failed_runs.append((run.run_id, kind, reason))
        if fail_stuck:
            mark_failed(instance, run, kind, reason)
            record_control(home.lake, "mark_failed", "health_check", run.run_id, run.job_name,
                           f"run marked failed by the health check: {reason}", kind=kind, reason=reason)
    return report
