-- agg_step_performance: per job and step over the 7 days up to as_of: duration
-- percentiles, share of the job's run time, CPU and memory, and the change of p95 against
-- the 7 days before. The slowest and heaviest steps rank first within their job.
-- Sums are exact decimals, so a rebuild from the same rows gives the same bits.
-- grain: job_name, step_key
-- kind: table
-- audit unit_interval: share_of_run_time, failure_rate
-- audit not_negative: attempts, p50_duration_s, p95_duration_s, max_duration_s, total_duration_s, avg_cpu_s, max_peak_rss_mb, cost_usd
with steps as not materialized (
    select * from fct_steps
),

runs as not materialized (
    select * from fct_runs
),

clock as not materialized (
    select * from int_as_of
),

current_window as (
    select
        job_name,
        step_key,
        count(*) as attempts,
        count(distinct run_id) as runs,
        count(*) filter (where status = 'failed' or status = 'up_for_retry') as failed_attempts,
        quantile_cont(duration_s, 0.5) as p50_duration_s,
        quantile_cont(duration_s, 0.95) as p95_duration_s,
        max(duration_s) as max_duration_s,
        coalesce(cast(sum(cast(duration_s as decimal(18, 6))) as double), 0) as total_duration_s,
        avg(cast(cpu_s as decimal(18, 6))) as avg_cpu_s,
        quantile_cont(cpu_s, 0.95) as p95_cpu_s,
        max(peak_rss_mb) as max_peak_rss_mb,
        quantile_cont(peak_rss_mb, 0.95) as p95_peak_rss_mb,
        cast(sum(cast(cost_usd as decimal(18, 12))) as double) as cost_usd
    from steps
    -- constant bounds (the clock bound as variables): only a week of row groups is read
    where steps.day >= getvariable('as_of_day') - 8
        and steps.started_at > getvariable('as_of') - interval 7 day
        and steps.started_at <= getvariable('as_of')
    group by job_name, step_key
),

previous_window as (
    select
        job_name,
        step_key,
        quantile_cont(duration_s, 0.95) as p95_duration_s
    from steps
    where steps.day between getvariable('as_of_day') - 15 and getvariable('as_of_day') - 6
        and steps.started_at > getvariable('as_of') - interval 14 day
        and steps.started_at <= getvariable('as_of') - interval 7 day
    group by job_name, step_key
),

run_time as (
    select runs.job_name, cast(sum(cast(runs.duration_s as decimal(18, 6))) as double) as total_run_time_s
    from runs
    where runs.day >= getvariable('as_of_day') - 8
        and runs.started_at > getvariable('as_of') - interval 7 day
        and runs.started_at <= getvariable('as_of')
    group by runs.job_name
),

final as (
    select
        current_window.job_name,
        current_window.step_key,
        current_window.attempts,
        current_window.runs,
        current_window.failed_attempts,
        current_window.failed_attempts / current_window.attempts as failure_rate,
        current_window.p50_duration_s,
        current_window.p95_duration_s,
        current_window.max_duration_s,
        current_window.total_duration_s,
        least(current_window.total_duration_s / nullif(run_time.total_run_time_s, 0), 1.0) as share_of_run_time,
        current_window.avg_cpu_s,
        current_window.p95_cpu_s,
        current_window.max_peak_rss_mb,
        current_window.p95_peak_rss_mb,
        current_window.cost_usd,
        previous_window.p95_duration_s as prev_p95_duration_s,
        current_window.p95_duration_s / nullif(previous_window.p95_duration_s, 0) - 1 as p95_change,
        rank() over (
            partition by current_window.job_name order by current_window.p95_duration_s desc nulls last
        ) as slowness_rank,
        rank() over (
            partition by current_window.job_name order by current_window.max_peak_rss_mb desc nulls last
        ) as memory_rank,
        clock.as_of
    from current_window
    cross join clock
    left join previous_window
        on previous_window.job_name = current_window.job_name
        and previous_window.step_key = current_window.step_key
    left join run_time on run_time.job_name = current_window.job_name
)

select * from final
