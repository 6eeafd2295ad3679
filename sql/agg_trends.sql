-- agg_trends: per job, UTC day and metric (runs, success_rate, p95_duration_s, cost_usd):
-- the day's value, 7- and 28-day rolling values, week-over-week change and an anomaly
-- flag from a robust z-score (median and MAD of the 28 days before). Days without runs
-- count as zero runs and zero cost.
-- Incremental: only the days from refresh_from on are computed; a day's values need the
-- 28 days before it (rolling 28, the baseline and last week's rolling 7), so the daily
-- rows are read from 35 days before refresh_from.
-- grain: job_name, day, metric
-- kind: incremental_from_day
-- since: day
with daily as not materialized (
    select * from agg_job_daily
    where day >= getvariable('refresh_from') - 35
),

all_days as (
    select job_name, job_type, day from agg_job_daily
),

clock as not materialized (
    select * from int_as_of
),

jobs as (
    select job_name, max(job_type) as job_type, min(day) as first_day
    from all_days
    group by job_name
),

spine as (
    select jobs.job_name, jobs.job_type, cast(days.day as date) as day
    from jobs
    cross join clock
    cross join lateral generate_series(
        greatest(jobs.first_day, getvariable('refresh_from') - 35), clock.as_of_day, interval 1 day
    ) as days(day)
),

filled as (
    select
        spine.job_name,
        spine.job_type,
        spine.day,
        coalesce(daily.runs, 0) as runs,
        coalesce(daily.completed, 0) as completed,
        coalesce(daily.failed, 0) as failed,
        daily.success_rate,
        daily.p95_duration_s,
        coalesce(daily.cost_usd, 0) as cost_usd
    from spine
    left join daily on daily.job_name = spine.job_name and daily.day = spine.day
),

rolling as (
    select
        *,
        sum(runs) over last_7 as runs_7d,
        sum(runs) over last_28 as runs_28d,
        sum(completed) over last_7 / nullif(sum(completed + failed) over last_7, 0) as success_rate_7d,
        sum(completed) over last_28 / nullif(sum(completed + failed) over last_28, 0) as success_rate_28d,
        -- exact decimal sums: the same days give the same bits however the window is split
        cast(avg(cast(p95_duration_s as decimal(18, 6))) over last_7 as double) as p95_duration_s_7d,
        cast(avg(cast(p95_duration_s as decimal(18, 6))) over last_28 as double) as p95_duration_s_28d,
        cast(sum(cast(cost_usd as decimal(18, 12))) over last_7 as double) as cost_usd_7d,
        cast(sum(cast(cost_usd as decimal(18, 12))) over last_28 as double) as cost_usd_28d
    from filled
    window
        last_7 as (partition by job_name order by day rows between 6 preceding and current row),
        last_28 as (partition by job_name order by day rows between 27 preceding and current row)
),

metrics as (
    select job_name, job_type, day, 'runs' as metric,
        cast(runs as double) as value, cast(runs_7d as double) as rolling_7d, cast(runs_28d as double) as rolling_28d
    from rolling
    union all
    select job_name, job_type, day, 'success_rate', success_rate, success_rate_7d, success_rate_28d
    from rolling
    union all
    select job_name, job_type, day, 'p95_duration_s', p95_duration_s, p95_duration_s_7d, p95_duration_s_28d
    from rolling
    union all
    select job_name, job_type, day, 'cost_usd', cost_usd, cost_usd_7d, cost_usd_28d
    from rolling
),

baselines as (
    select
        *,
        lag(rolling_7d, 7) over by_day as rolling_7d_week_before,
        median(value) over trailing_28 as baseline_median,
        mad(value) over trailing_28 as baseline_mad,
        count(value) over trailing_28 as baseline_days
    from metrics
    window
        by_day as (partition by job_name, metric order by day),
        trailing_28 as (partition by job_name, metric order by day rows between 28 preceding and 1 preceding)
),

final as (
    select
        job_name,
        job_type,
        day,
        metric,
        value,
        rolling_7d,
        rolling_28d,
        rolling_7d / nullif(rolling_7d_week_before, 0) - 1 as wow_change,
        baseline_median,
        baseline_mad,
        -- 1.4826 scales the MAD to a standard deviation for normally distributed values
        (value - baseline_median) / nullif(1.4826 * baseline_mad, 0) as robust_z,
        coalesce(
            baseline_days >= 7 and abs((value - baseline_median) / nullif(1.4826 * baseline_mad, 0)) > 3.5,
            false
        ) as is_anomaly
    from baselines
    where day >= getvariable('refresh_from')
)

select * from final
