-- Run totals per job of the current and the previous period, summed from agg_job_daily. A
-- period's p95 is the run-weighted mean of the job's daily p95 (exact for a one-day period).
select
    job_name,
    day >= $start as is_current,
    max(job_type) as job_type,
    sum(runs) as runs,
    sum(failed) as failed,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) as success_rate,
    sum(p95_duration_s * runs) / nullif(sum(runs) filter (p95_duration_s is not null), 0) as p95_duration_s,
    sum(p95_queue_wait_s * runs) / nullif(sum(runs) filter (p95_queue_wait_s is not null), 0) as p95_queue_wait_s,
    coalesce(sum(cost_usd), 0) as cost_usd,
    max(day) as last_day
from agg_job_daily
where day >= $prev_start and day < $end and ($team::varchar is null or team = $team)
group by job_name, is_current
