-- Success rate per job type, this period and the previous one.
with by_type as (
    select
        job_type,
        is_current,
        count(*) as runs,
        count(*) filter (status = 'completed') / nullif(count(*) filter (status in ('completed', 'failed')), 0) as success_rate
    from report_runs
    group by job_type, is_current
)

select c.job_type, c.runs, c.success_rate, p.success_rate as prev_success_rate, c.success_rate - p.success_rate as success_change
from by_type c
left join by_type p on p.job_type = c.job_type and not p.is_current
where c.is_current
order by c.job_type
