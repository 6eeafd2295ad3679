-- One row per job that ran in the current period, with the previous period beside it.
with by_job as (
    select
        job_name,
        is_current,
        any_value(job_type) as job_type,
        count(*) as runs,
        count(*) filter (status = 'failed') as failed,
        count(*) filter (status = 'completed') / nullif(count(*) filter (status in ('completed', 'failed')), 0) as success_rate,
        quantile_cont(duration_s, 0.95) filter (status in ('completed', 'failed')) as p95_duration_s,
        coalesce(sum(cost_usd), 0) as cost_usd,
        arg_max(run_id, coalesce(ended_at, queued_at)) as last_run_id,
        arg_max(status, coalesce(ended_at, queued_at)) as last_status
    from report_runs
    group by job_name, is_current
),

final as (
    select
        c.job_name, c.job_type, c.runs, p.runs as prev_runs, c.failed,
        c.success_rate, p.success_rate as prev_success_rate, c.success_rate - p.success_rate as success_change,
        c.p95_duration_s, p.p95_duration_s as prev_p95_duration_s,
        c.p95_duration_s / nullif(p.p95_duration_s, 0) - 1 as p95_change,
        c.cost_usd, p.cost_usd as prev_cost_usd, c.last_run_id, c.last_status
    from by_job c
    left join by_job p on p.job_name = c.job_name and not p.is_current
    where c.is_current
)

select * from final order by runs desc, job_name
