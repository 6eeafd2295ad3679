-- agg_capacity: per UTC hour of the 28 days up to as_of, for all runs and per job type:
-- average and peak concurrent runs, average and peak queued runs, arrivals, starts and p95
-- queue wait; plus, per day of the next 30, a linear forecast of daily run volume fitted
-- on the last 30 days (rows with is_forecast).
-- Incremental: only the hours from refresh_from on are computed (the level at that moment
-- starts from the runs open then), the forecast is redone, hours older than the 28 days drop.
-- grain: hour, job_type, is_forecast
-- kind: incremental_from_day
-- since: hour
-- retain: hour >= date_trunc('hour', getvariable('as_of')) - interval 27 day - interval 23 hour
-- audit not_negative: runs_queued, runs_started, avg_concurrent_runs, peak_concurrent_runs, avg_queued_runs, peak_queued_runs, p95_queue_wait_s, forecast_runs
with runs as not materialized (
    select * from fct_runs
),

daily as not materialized (
    select * from agg_job_daily
),

clock as (
    select
        *,
        date_trunc('hour', as_of) - interval 27 day - interval 23 hour as window_start,
        -- a run still open at as_of counts as running (or queued) at that moment
        as_of + interval 1 second as open_until,
        greatest(
            date_trunc('hour', as_of) - interval 27 day - interval 23 hour,
            cast(getvariable('refresh_from') as timestamptz)
        ) as start_at
    from int_as_of
),

window_runs as (
    select runs.*
    from runs
    cross join clock
    where runs.day >= getvariable('as_of_day') - 29
        and runs.queued_at <= clock.as_of
        and coalesce(runs.ended_at, clock.as_of) >= clock.start_at
),

intervals as (
    select job_type, 'queued' as state, queued_at as t0,
        coalesce(preparing_at, started_at, ended_at, clock.open_until) as t1
    from window_runs cross join clock
    union all
    select job_type, 'running', started_at, coalesce(ended_at, clock.open_until)
    from window_runs cross join clock
    where started_at is not null
),

scoped as (
    select job_type as scope, state, t0, t1 from intervals
    union all
    select 'all', state, t0, t1 from intervals
),

-- every job type of the window's days, whatever part of the window is computed
scopes as (
    select distinct daily.job_type as scope
    from daily
    where daily.day >= getvariable('as_of_day') - 29
    union
    select 'all'
),

events as (
    select scope, state, greatest(t0, clock.start_at) as t, 1 as delta
    from scoped cross join clock
    where t1 > clock.start_at
    union all
    select scope, state, least(t1, clock.open_until), -1
    from scoped cross join clock
    where t1 > clock.start_at
    union all
    -- a zero-change marker at every hour start splits time segments at hour boundaries
    select scopes.scope, states.state, hours.t, 0
    from scopes
    cross join (values ('queued'), ('running')) as states(state)
    cross join clock
    cross join lateral generate_series(clock.start_at, clock.as_of, interval 1 hour) as hours(t)
),

levels as (
    select
        scope,
        state,
        t,
        sum(delta) over by_time as level,
        -- integer microseconds keep the sums exact, so a re-run gives identical values
        date_diff('microsecond', t, coalesce(lead(t) over by_time, t)) as us_at_level
    from events
    window by_time as (
        partition by scope, state order by t, delta rows between unbounded preceding and current row
    )
),

hourly_levels as (
    select
        scope,
        date_trunc('hour', t) as hour,
        sum(level * us_at_level) filter (where state = 'running') / 1e6 as running_seconds,
        sum(level * us_at_level) filter (where state = 'queued') / 1e6 as queued_seconds,
        max(level) filter (where state = 'running') as peak_concurrent_runs,
        max(level) filter (where state = 'queued') as peak_queued_runs
    from levels
    group by scope, date_trunc('hour', t)
),

hourly_runs as (
    select scope, hour, count(*) filter (where kind = 'queued') as runs_queued,
        count(*) filter (where kind = 'started') as runs_started,
        quantile_cont(queue_wait_s, 0.95) filter (where kind = 'started') as p95_queue_wait_s
    from (
        select job_type, date_trunc('hour', queued_at) as hour, 'queued' as kind, null::double as queue_wait_s
        from window_runs
        union all
        select job_type, date_trunc('hour', coalesce(preparing_at, started_at)), 'started', queue_wait_s
        from window_runs
        where coalesce(preparing_at, started_at) is not null
    ) as arrivals
    cross join (values (true), (false)) as per_type(is_type)
    cross join lateral (select case when per_type.is_type then arrivals.job_type else 'all' end as scope)
    group by scope, hour
),

observed as (
    select
        hourly_levels.hour,
        hourly_levels.scope as job_type,
        false as is_forecast,
        coalesce(hourly_runs.runs_queued, 0) as runs_queued,
        coalesce(hourly_runs.runs_started, 0) as runs_started,
        hourly_levels.running_seconds / greatest(epoch(least(hourly_levels.hour + interval 1 hour, clock.as_of)
            - hourly_levels.hour), 1) as avg_concurrent_runs,
        hourly_levels.peak_concurrent_runs,
        hourly_levels.queued_seconds / greatest(epoch(least(hourly_levels.hour + interval 1 hour, clock.as_of)
            - hourly_levels.hour), 1) as avg_queued_runs,
        hourly_levels.peak_queued_runs,
        hourly_runs.p95_queue_wait_s,
        cast(null as double) as forecast_runs
    from hourly_levels
    cross join clock
    left join hourly_runs on hourly_runs.scope = hourly_levels.scope and hourly_runs.hour = hourly_levels.hour
    where hourly_levels.hour >= clock.start_at
),

daily_volume as (
    select
        scopes.scope,
        cast(days.day as date) - (clock.as_of_day - 29) as day_index,
        cast(coalesce(sum(daily.runs), 0) as bigint) as runs
    from (select distinct job_type as scope from daily union all select 'all') as scopes
    cross join clock
    cross join lateral generate_series(clock.as_of_day - 29, clock.as_of_day, interval 1 day) as days(day)
    left join daily
        on daily.day = cast(days.day as date)
        and (scopes.scope = 'all' or daily.job_type = scopes.scope)
    group by scopes.scope, days.day, clock.as_of_day
),

-- least squares from exact integer sums: the same history always gives the same forecast
sums as (
    select
        scope,
        count(*) as n,
        sum(day_index) as sx,
        sum(runs) as sy,
        sum(day_index * runs) as sxy,
        sum(day_index * day_index) as sxx
    from daily_volume
    group by scope
),

fits as (
    select
        scope,
        (n * sxy - sx * sy) / nullif(n * sxx - sx * sx, 0) as slope,
        (sy - coalesce((n * sxy - sx * sy) / nullif(n * sxx - sx * sx, 0), 0) * sx) / n as intercept
    from sums
),

forecast as (
    select
        cast(days.day as timestamptz) as hour,
        fits.scope as job_type,
        true as is_forecast,
        0 as runs_queued,
        0 as runs_started,
        cast(null as double) as avg_concurrent_runs,
        cast(null as integer) as peak_concurrent_runs,
        cast(null as double) as avg_queued_runs,
        cast(null as integer) as peak_queued_runs,
        cast(null as double) as p95_queue_wait_s,
        greatest(
            fits.intercept + coalesce(fits.slope, 0) * (cast(days.day as date) - (clock.as_of_day - 29)), 0
        ) as forecast_runs
    from fits
    cross join clock
    cross join lateral generate_series(clock.as_of_day + 1, clock.as_of_day + 30, interval 1 day) as days(day)
),

final as not materialized (
    select * from observed
    union all by name
    select * from forecast
)

select * from final
