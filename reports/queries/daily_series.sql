-- Per day and job type in the current period: volume, success, durations, queue wait, cost.
select
    day,
    job_type,
    count(*) as runs,
    count(*) filter (status = 'completed') / nullif(count(*) filter (status in ('completed', 'failed')), 0) as success_rate,
    quantile_cont(duration_s, 0.95) filter (status in ('completed', 'failed')) as p95_duration_s,
    quantile_cont(queue_wait_s, 0.95) as p95_queue_wait_s,
    coalesce(sum(cost_usd), 0) as cost_usd
from report_runs
where is_current
group by day, job_type
order by day, job_type
