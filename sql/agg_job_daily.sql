-- agg_job_daily: per UTC day and job: run outcomes, duration and queue percentiles, retries,
-- tokens and cost. A run counts on the day it ended (queued, while unfinished).
-- grain: day, job_name
-- kind: incremental_by_day
-- audit unit_interval: success_rate
-- audit not_negative: runs, p50_duration_s, p95_duration_s, max_duration_s, p95_queue_wait_s, retries, cost_usd
with runs as not materialized (
    select * from fct_runs
),

final as (
    select
        day,
        job_name,
        max(job_type) as job_type,
        max(team) as team,
        count(*) as runs,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'failed') as failed,
        count(*) filter (where status = 'cancelled') as cancelled,
        count(*) filter (where status not in ('completed', 'failed', 'cancelled')) as unfinished,
        count(*) filter (where status = 'completed')
            / nullif(count(*) filter (where status in ('completed', 'failed')), 0) as success_rate,
        quantile_cont(duration_s, 0.5) as p50_duration_s,
        quantile_cont(duration_s, 0.95) as p95_duration_s,
        max(duration_s) as max_duration_s,
        quantile_cont(queue_wait_s, 0.95) as p95_queue_wait_s,
        cast(sum(step_retries) as bigint) as retries,
        count(*) filter (where parent_run_id is not null) as run_retries,
        cast(sum(cast(cost_usd as decimal(18, 12))) as double) as cost_usd,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens
    from runs
    group by day, job_name
)

select * from final
