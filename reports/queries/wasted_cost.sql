-- Cost spent in attempts that failed, per job, in the current period and the previous one.
select
    job_name, is_current,
    count(*) as failed_attempts,
    coalesce(sum(cost_usd), 0) as wasted_usd,
    coalesce(sum(duration_s), 0) as wasted_s
from report_steps
where status in ('failed', 'up_for_retry')
group by job_name, is_current
order by wasted_usd desc, job_name
