-- fct_incidents: one row per incident of a job: its failed runs from the first failure after
-- a success up to the next successful run (recovered_at), or still open. Runs are ordered by
-- the time they ended; a success ending at the same instant as a failure counts as before
-- it. Cancelled and unfinished runs neither start nor end an incident.
-- Incremental from refresh_from on last_day (the recovery's day, or as_of's day while open):
-- runs before refresh_from do not change, so an incident recovered before then stays as it
-- is. The others are recomputed from the runs of refresh_from on plus, per job, the runs of
-- its last day with a success before refresh_from and of its failing days since
-- (agg_job_daily says which days those are, so only they are read).
-- grain: job_name, started_at
-- kind: incremental_from_day
-- since: last_day
-- audit not_negative: failed_runs, time_to_recover_s
with runs as not materialized (
    select * from fct_runs
),

daily as not materialized (
    select * from agg_job_daily
),

clock as not materialized (
    select * from int_as_of
),

last_success_before as (
    select job_name, max(day) filter (where completed > 0) as last_ok_day
    from daily
    where day < getvariable('refresh_from')
    group by job_name
),

-- the days before refresh_from an incident still open then can have runs on
carried_days as (
    select daily.job_name, daily.day
    from daily
    inner join last_success_before on last_success_before.job_name = daily.job_name
    where daily.day < getvariable('refresh_from')
        and (daily.day = last_success_before.last_ok_day
            or (daily.failed > 0 and daily.day > coalesce(last_success_before.last_ok_day, date '0001-01-01')))
),

outcomes as (
    select job_name, run_id, ended_at, day, status = 'failed' as failed
    from runs
    where day >= getvariable('refresh_from') and status in ('completed', 'failed')
    union all
    select runs.job_name, runs.run_id, runs.ended_at, runs.day, runs.status = 'failed' as failed
    from runs
    semi join carried_days on carried_days.job_name = runs.job_name and carried_days.day = runs.day
    where runs.day < getvariable('refresh_from') and runs.status in ('completed', 'failed')
),

-- the failures between two successes share the count of successes before them; the success
-- right after a failure is a recovery
numbered as (
    select
        *,
        -- a running sum: a windowed count with a FILTER clause took 25 s over 1M runs, this 1 s
        sum(case when failed then 0 else 1 end) over (
            partition by job_name order by ended_at, failed, run_id rows unbounded preceding
        ) as successes_before,
        coalesce(lag(failed) over (partition by job_name order by ended_at, failed, run_id), false) as after_failure
    from outcomes
),

streaks as (
    select
        job_name,
        successes_before,
        min(ended_at) as started_at,
        first(run_id order by ended_at, run_id) as first_failed_run_id,
        count(*) as failed_runs,
        max(ended_at) as last_failed_at,
        min(day) as day,
        max(day) as last_failed_day
    from numbered
    where failed
    group by job_name, successes_before
),

recoveries as (
    select job_name, successes_before - 1 as successes_before, ended_at as recovered_at,
        run_id as recovery_run_id, day as recovery_day
    from numbered
    where not failed and after_failure
),

final as (
    select
        streaks.job_name,
        streaks.started_at,
        streaks.first_failed_run_id,
        streaks.failed_runs,
        streaks.last_failed_at,
        recoveries.recovered_at,
        recoveries.recovery_run_id,
        seconds_between(streaks.started_at, recoveries.recovered_at) as time_to_recover_s,
        streaks.day,
        streaks.last_failed_day,
        coalesce(recoveries.recovery_day, clock.as_of_day) as last_day
    from streaks
    left join recoveries
        on recoveries.job_name = streaks.job_name
        and recoveries.successes_before = streaks.successes_before
    cross join clock
)

select * from final
