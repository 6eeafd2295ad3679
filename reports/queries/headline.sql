-- Headline numbers of each period: one row for the current period, one for the previous.
select
    is_current,
    count(*) as runs,
    count(*) filter (status = 'completed') as completed,
    count(*) filter (status = 'failed') as failed,
    count(*) filter (status = 'cancelled') as cancelled,
    count(*) filter (status = 'completed') / nullif(count(*) filter (status in ('completed', 'failed')), 0) as success_rate,
    quantile_cont(duration_s, 0.95) filter (status in ('completed', 'failed')) as p95_duration_s,
    quantile_cont(queue_wait_s, 0.95) as p95_queue_wait_s,
    coalesce(sum(step_retries), 0) as retries,
    coalesce(sum(cost_usd), 0) as cost_usd,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) as tokens,
    count(distinct job_name) as jobs
from report_runs
group by is_current
