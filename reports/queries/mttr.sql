-- Time to recover per job: from the first failure of an incident to the next successful run.
with ordered as (
    select job_name, ended_at, status, lag(status) over (partition by job_name order by ended_at) as prev_status
    from fct_runs
    where status in ('completed', 'failed') and day >= $start and day < $end
      and ($team::varchar is null or team = $team)
),

incidents as (
    select job_name, ended_at as failed_at
    from ordered
    where status = 'failed' and coalesce(prev_status, 'completed') = 'completed'
),

successes as (
    select job_name, ended_at from ordered where status = 'completed'
),

recoveries as (
    -- the first success after each incident's first failure (an as-of join, not a range join)
    select i.job_name, i.failed_at, s.ended_at as recovered_at
    from incidents i
    asof left join successes s on i.job_name = s.job_name and i.failed_at < s.ended_at
)

select
    job_name,
    count(*) as incidents,
    count(recovered_at) as recovered,
    avg(epoch(recovered_at - failed_at)) as mttr_s,
    max(epoch(recovered_at - failed_at)) as max_ttr_s
from recoveries
group by job_name
order by mttr_s desc nulls first, job_name
