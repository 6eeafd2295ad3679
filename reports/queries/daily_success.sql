-- Runs and success rate per day and job type in the current period, from agg_job_daily.
select
    day,
    job_type,
    sum(runs) as runs,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) as success_rate
from agg_job_daily
where day >= $start and day < $end and ($team::varchar is null or team = $team)
group by day, job_type
order by day, job_type
