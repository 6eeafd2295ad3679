-- The slowest steps of the current period (p95 duration), the previous period's p95 and their share of the job's time.
with by_step as (
    select
        job_name, step_key, is_current,
        count(*) as attempts,
        quantile_cont(duration_s, 0.5) as p50_duration_s,
        quantile_cont(duration_s, 0.95) as p95_duration_s,
        max(duration_s) as max_duration_s,
        sum(duration_s) as total_s
    from report_steps
    group by job_name, step_key, is_current
),

final as (
    select
        c.job_name, c.step_key, c.attempts, c.p50_duration_s, c.p95_duration_s, c.max_duration_s,
        p.p95_duration_s as prev_p95_duration_s,
        c.p95_duration_s / nullif(p.p95_duration_s, 0) - 1 as p95_change,
        c.total_s / nullif(sum(c.total_s) over (partition by c.job_name), 0) as share_of_job_time
    from by_step c
    left join by_step p on p.job_name = c.job_name and p.step_key = c.step_key and not p.is_current
    where c.is_current
)

select * from final order by p95_duration_s desc, job_name, step_key limit $limit
