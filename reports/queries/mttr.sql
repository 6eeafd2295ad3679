-- Time to recover per job: from the first failure of an incident to the next successful run.
with ordered as (
    select job_name, ended_at, status, lag(status) over (partition by job_name order by ended_at) as prev_status
    from report_runs
    where is_current and status in ('completed', 'failed')
),

incidents as (
    select job_name, ended_at as failed_at
    from ordered
    where status = 'failed' and coalesce(prev_status, 'completed') = 'completed'
),

recoveries as (
    select i.job_name, i.failed_at, min(o.ended_at) as recovered_at
    from incidents i
    left join ordered o on o.job_name = i.job_name and o.status = 'completed' and o.ended_at > i.failed_at
    group by i.job_name, i.failed_at
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
