-- Time to recover per job in the current period: an incident is the failed runs up to the next
-- successful run of the job; its time to recover runs from the first failure to that success.
-- A success can only be on a day the job failed or on the next day with a success
-- (agg_job_daily), so only those days of fct_runs are read. One ordered pass over them (a
-- success ending at the same instant as a failure counts as before it) keeps the edges where
-- a job turns failing or recovers; an incident is a failing edge and the recovery after it.
with days as (
    select job_name, day, failed, completed
    from agg_job_daily
    where day >= $start and day < $end and ($team::varchar is null or team = $team)
),

failing_days as (
    select f.job_name, f.day, min(ok.day) as next_ok_day
    from days f
    left join days ok on ok.job_name = f.job_name and ok.day > f.day and ok.completed > 0
    where f.failed > 0
    group by f.job_name, f.day
),

candidate_days as (
    select job_name, day from failing_days
    union
    select job_name, next_ok_day from failing_days where next_ok_day is not null
),

runs as (
    select r.job_name, r.ended_at, r.status = 'failed' as failed
    from fct_runs r
    semi join candidate_days c on c.job_name = r.job_name and c.day = r.day
    where r.status in ('completed', 'failed') and r.day >= $start and r.day < $end
      and ($team::varchar is null or r.team = $team)
),

edges as (
    select job_name, ended_at, failed
    from (
        select job_name, ended_at, failed,
               lag(failed) over (partition by job_name order by ended_at, failed) as after_failure
        from runs
    )
    where failed <> coalesce(after_failure, false)
),

incidents as (
    select job_name, started_at, recovered_at
    from (
        select job_name, failed, ended_at as started_at,
               lead(ended_at) over (partition by job_name order by ended_at, failed) as recovered_at
        from edges
    )
    where failed
)

select
    job_name,
    count(*) as incidents,
    count(recovered_at) as recovered,
    avg(epoch(recovered_at - started_at)) as mttr_s,
    max(epoch(recovered_at - started_at)) as max_ttr_s
from incidents
group by job_name
order by mttr_s desc nulls first, job_name
