-- Run totals of the current and the previous period, summed from agg_job_daily; p95s are the
-- run-weighted mean of the daily p95 of every job (exact for a one-day period with one job).
select
    day >= $start as is_current,
    sum(runs) as runs,
    sum(completed) as completed,
    sum(failed) as failed,
    sum(cancelled) as cancelled,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) as success_rate,
    sum(p95_duration_s * runs) / nullif(sum(runs) filter (p95_duration_s is not null), 0) as p95_duration_s,
    sum(p95_queue_wait_s * runs) / nullif(sum(runs) filter (p95_queue_wait_s is not null), 0) as p95_queue_wait_s,
    sum(retries) as retries,
    coalesce(sum(cost_usd), 0) as cost_usd,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) as tokens
from agg_job_daily
where day >= $prev_start and day < $end and ($team::varchar is null or team = $team)
group by is_current
