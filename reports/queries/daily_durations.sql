-- p95 run duration and queue wait per day and job type in the current period: the run-weighted
-- mean of the daily p95 of the type's jobs (agg_job_daily).
select
    day,
    job_type,
    sum(p95_duration_s * runs) / nullif(sum(runs) filter (p95_duration_s is not null), 0) as p95_duration_s,
    sum(p95_queue_wait_s * runs) / nullif(sum(runs) filter (p95_queue_wait_s is not null), 0) as p95_queue_wait_s
from agg_job_daily
where day >= $start and day < $end and ($team::varchar is null or team = $team)
group by day, job_type
order by day, job_type
