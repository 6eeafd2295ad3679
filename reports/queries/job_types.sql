-- Success rate per job type, this period and the previous one, from agg_job_daily.
with by_type as (
    select
        job_type,
        day >= $start as is_current,
        sum(runs) as runs,
        sum(completed) / nullif(sum(completed) + sum(failed), 0) as success_rate
    from agg_job_daily
    where day >= $prev_start and day < $end and ($team::varchar is null or team = $team)
    group by job_type, is_current
)

select c.job_type, c.runs, c.success_rate, p.success_rate as prev_success_rate, c.success_rate - p.success_rate as success_change
from by_type c
left join by_type p on p.job_type = c.job_type and not p.is_current
where c.is_current
order by c.job_type
