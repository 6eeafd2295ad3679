"""The named metrics the shipped rules use, each one query over the issue-4 models.

Times in the models are UTC; every query gets ``$now`` (the evaluation time) and, where it looks
back, ``$start`` (``now - window``) as bound parameters, so a test drives them with a fixed clock.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from alerting.metrics import RUN_LABELS, MetricContext, Sample, grouped, metric, rows_to_samples

TERMINAL = "status in ('completed', 'failed')"


@metric("job_failure_rate", ("job", "job_type", "team"), ("job",), min_runs=3)
def job_failure_rate(ctx: MetricContext) -> list[Sample]:
    """Share of finished runs that failed within the window (failed / (completed + failed))."""
    select, group = grouped(ctx, RUN_LABELS)
    sql = f"""
        select {select} count(*) filter (where status = 'failed')::double / count(*) as value,
               count(*) as runs, count(*) filter (where status = 'failed') as failed
        from fct_runs
        where {TERMINAL} and ended_at > $start and ended_at <= $now
        group by {group}
        having count(*) >= $min_runs"""
    return rows_to_samples(ctx.con.execute(sql, {"start": ctx.start, "now": ctx.now, "min_runs": ctx.params["min_runs"]}), ctx.group_by)


@metric("consecutive_failed_runs", ("job",), ("job",))
def consecutive_failed_runs(ctx: MetricContext) -> list[Sample]:
    """Failed runs of a job since its last completed run, within the window."""
    sql = """
        with finished as (
            select job_name, status, ended_at from fct_runs
            where status in ('completed', 'failed') and ended_at > $start and ended_at <= $now
        ),
        last_completed as (
            select job_name, max(ended_at) as completed_at from finished where status = 'completed' group by job_name
        )
        select f.job_name as job, count(*) as value, max(f.ended_at) as last_failed_at
        from finished f left join last_completed c using (job_name)
        where f.status = 'failed' and (c.completed_at is null or f.ended_at > c.completed_at)
        group by f.job_name"""
    return rows_to_samples(ctx.con.execute(sql, {"start": ctx.start, "now": ctx.now}), ctx.group_by)


@metric("new_error_signature", ("signature", "error_code"), ("signature",))
def new_error_signature(ctx: MetricContext) -> list[Sample]:
    """Occurrences of each error signature first seen within the window."""
    sql = """
        select signature, error_code, occurrences as value, jobs_affected, sample_message, first_seen
        from failure_patterns
        where first_seen > $start and first_seen <= $now"""
    return rows_to_samples(ctx.con.execute(sql, {"start": ctx.start, "now": ctx.now}), ctx.group_by)


@metric("run_stuck", ("run_id", "job"), ("run_id", "job"), factor=3.0, max_runtime_s=21600.0, min_expected_s=60.0)
def run_stuck(ctx: MetricContext) -> list[Sample]:
    """Running time of each running run divided by its limit (factor × the job's 28-day p95 duration, capped by max runtime)."""
    sql = """
        with baseline as (
            select job_name, max(p95_duration_s) as p95_s from agg_job_daily
            where day > $now::date - 28 group by job_name
        ),
        running as (
            select r.run_id, r.job_name, date_diff('second', r.started_at, $now)::double as running_s,
                   least($max_runtime_s, greatest($min_expected_s, $factor * coalesce(b.p95_s, $max_runtime_s))) as limit_s
            from fct_runs r left join baseline b using (job_name)
            where r.status = 'running' and r.started_at is not null
        )
        select run_id, job_name as job, running_s / limit_s as value, running_s, limit_s from running"""
    args = {k: float(ctx.params[k]) for k in ("factor", "max_runtime_s", "min_expected_s")}
    return rows_to_samples(ctx.con.execute(sql, {"now": ctx.now, **args}), ctx.group_by)


@metric("queue_wait_p95", ("job", "job_type", "team"), ("job_type",), min_runs=5)
def queue_wait_p95(ctx: MetricContext) -> list[Sample]:
    """95th percentile of queue wait (seconds) of runs that started within the window."""
    select, group = grouped(ctx, RUN_LABELS)
    sql = f"""
        select {select} quantile_cont(queue_wait_s, 0.95) as value, count(*) as runs
        from fct_runs
        where started_at > $start and started_at <= $now and queue_wait_s is not null
        group by {group}
        having count(*) >= $min_runs"""
    return rows_to_samples(ctx.con.execute(sql, {"start": ctx.start, "now": ctx.now, "min_runs": ctx.params["min_runs"]}), ctx.group_by)


@metric("duration_p95_regression", ("job",), ("job",), min_runs=5, baseline_days=28)
def duration_p95_regression(ctx: MetricContext) -> list[Sample]:
    """p95 run duration within the window divided by the p95 of the baseline days before it."""
    sql = """
        with finished as (
            select job_name, duration_s, ended_at from fct_runs
            where status = 'completed' and duration_s is not null
              and ended_at > $start - to_days($baseline_days) and ended_at <= $now
        ),
        recent as (
            select job_name, quantile_cont(duration_s, 0.95) as p95_s, count(*) as runs
            from finished where ended_at > $start group by job_name having count(*) >= $min_runs
        ),
        baseline as (
            select job_name, quantile_cont(duration_s, 0.95) as baseline_p95_s, count(*) as baseline_runs
            from finished where ended_at <= $start group by job_name having count(*) >= $min_runs
        )
        select job_name as job, p95_s / baseline_p95_s as value, p95_s, baseline_p95_s, runs
        from recent join baseline using (job_name) where baseline_p95_s > 0"""
    args = {"start": ctx.start, "now": ctx.now, "min_runs": ctx.params["min_runs"], "baseline_days": int(ctx.params["baseline_days"])}
    return rows_to_samples(ctx.con.execute(sql, args), ctx.group_by)


BUDGET_MATCH = """case budget.scope
            when 'total' then true
            when 'job' then spend.job_name glob budget.match
            when 'team' then spend.team glob budget.match
            when 'model' then spend.model glob budget.match or (spend.provider || '/' || spend.model) glob budget.match
        end"""


@metric("budget_forecast_share", ("budget", "scope"), ("budget",))
def budget_forecast_share(ctx: MetricContext) -> list[Sample]:
    """Forecast month-end spend divided by the monthly budget (budget_status of the evaluation's month)."""
    sql = """
        select budget_name as budget, scope, forecast_share as value, spend_mtd_usd, forecast_month_end_usd, budget_usd
        from budget_status where month = date_trunc('month', $now::date) and budget_usd > 0"""
    return rows_to_samples(ctx.con.execute(sql, {"now": ctx.now}), ctx.group_by)


@metric("daily_budget_share", ("budget", "scope"), ("budget",))
def daily_budget_share(ctx: MetricContext) -> list[Sample]:
    """Today's cost divided by the daily share of its monthly budget (budget / days in the month)."""
    sql = f"""
        with job_teams as (
            select job_name, arg_max(team, queued_at) as team from fct_runs where team is not null group by job_name
        ),
        spend as (
            select c.job_name, c.provider, c.model, c.cost_usd, t.team
            from agg_cost_daily c left join job_teams t using (job_name) where c.day = $now::date
        )
        select budget.budget_name as budget, budget.scope,
               sum(spend.cost_usd) / (budget.budget_usd / budget.days_in_month) as value,
               sum(spend.cost_usd) as cost_today_usd, budget.budget_usd
        from budget_status budget join spend on {BUDGET_MATCH}
        where budget.month = date_trunc('month', $now::date) and budget.budget_usd > 0
        group by budget.budget_name, budget.scope, budget.budget_usd, budget.days_in_month"""
    return rows_to_samples(ctx.con.execute(sql, {"now": ctx.now}), ctx.group_by)


@metric("schedule_overdue", ("job",), ("job",), min_runs=3, history_days=28)
def schedule_overdue(ctx: MetricContext) -> list[Sample]:
    """Time since a scheduled job last ran, in multiples of the longest gap between its runs of the last 28 days."""
    # The longest gap, not the median: weekday-only or irregular schedules would otherwise look missed every night.
    sql = """
        with scheduled as (
            select job_name, queued_at,
                   date_diff('second', lag(queued_at) over (partition by job_name order by queued_at), queued_at) as gap_s
            from fct_runs
            where trigger = 'schedule' and queued_at <= $now and queued_at > $now - to_days($history_days)
        )
        select job_name as job, date_diff('second', max(queued_at), $now) / max(gap_s) as value,
               max(queued_at) as last_run_at, max(gap_s) as longest_gap_s, median(gap_s) as usual_gap_s
        from scheduled group by job_name
        having count(*) >= $min_runs and max(gap_s) > 0"""
    args = {"now": ctx.now, "min_runs": ctx.params["min_runs"], "history_days": int(ctx.params["history_days"])}
    return rows_to_samples(ctx.con.execute(sql, args), ctx.group_by)


@metric("capture_lag_s", (), ())
def capture_lag_s(ctx: MetricContext) -> list[Sample]:
    """Seconds since the newest captured event: the latest time in fct_runs or the newest lake file."""
    newest_run = ctx.con.execute(
        "select max(t) from (select unnest([queued_at, started_at, ended_at]) as t from fct_runs) where t <= $now",
        {"now": ctx.now},
    ).fetchone()[0]
    # Evidence from after ``now`` (evaluating the past) says nothing about capture as of ``now``.
    candidates = [t for t in (_aware(newest_run), _newest_lake_file(ctx.lake)) if t is not None and t <= ctx.now]
    if not candidates:
        return []
    newest = max(candidates)
    return [Sample({}, (ctx.now - newest).total_seconds(), {"newest_event_at": newest.isoformat()})]


def _aware(value) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _newest_lake_file(lake) -> datetime | None:
    """The modification time of the newest Parquet file in the lake (file metadata only, never its rows)."""
    if lake is None or not os.path.isdir(lake):
        return None
    newest = 0.0
    for root, _dirs, files in os.walk(lake):
        for name in files:
            if name.endswith(".parquet"):
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return datetime.fromtimestamp(newest, timezone.utc) if newest else None
