-- Time to recover per job in the current period: an incident is the failed runs up to the next
-- successful run of the job (an as-of join finds it); its time to recover runs from the first
-- failure to that success. A success can only be on a day the job failed or on the next day
-- with a success (agg_job_daily), so only those days of fct_runs are read.
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
    select r.job_name, r.ended_at, r.status
    from fct_runs r
    semi join candidate_days c on c.job_name = r.job_name and c.day = r.day
    where r.status in ('completed', 'failed') and r.day >= $start and r.day < $end
      and ($team::varchar is null or r.team = $team)
),

recoveries as (
    select f.job_name, f.ended_at as failed_at, s.ended_at as recovered_at
    from (select job_name, ended_at from runs where status = 'failed') f
    asof left join (select job_name, ended_at from runs where status = 'completed') s
        on f.job_name = s.job_name and f.ended_at < s.ended_at
),

incidents as (
    select job_name, recovered_at, min(failed_at) as started_at
    from recoveries
    group by job_name, recovered_at
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
