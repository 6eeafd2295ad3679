-- Retry economics of the current period per job and error code: how often a retry won a failed
-- step back, and the time and cost spent in attempts that failed. The failed attempts and the
-- retries are read apart: each filter is then one DuckDB can apply while scanning fct_steps.
with steps as (
    select
        run_id, job_name, step_key,
        arg_min(error_code, attempt) filter (status in ('failed', 'up_for_retry')) as error_code,
        count(*) filter (status in ('failed', 'up_for_retry')) as failed_attempts,
        count(*) filter (attempt > 1) as retries,
        bool_or(attempt > 1 and status = 'completed') as won_back,
        coalesce(sum(duration_s) filter (status in ('failed', 'up_for_retry')), 0) as failed_s,
        coalesce(sum(cost_usd) filter (status in ('failed', 'up_for_retry')), 0) as failed_cost_usd
    from (
        select run_id, job_name, step_key, attempt, status, error_code, duration_s, cost_usd
        from fct_steps
        where day >= $start and day < $end and status in ('failed', 'up_for_retry')
        union all
        select run_id, job_name, step_key, attempt, status, error_code, duration_s, cost_usd
        from fct_steps
        where day >= $start and day < $end and attempt > 1 and coalesce(status not in ('failed', 'up_for_retry'), true)
    )
    where ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
    group by run_id, job_name, step_key
    having count(*) filter (status in ('failed', 'up_for_retry')) > 0
)

select
    job_name,
    coalesce(error_code, 'unknown') as error_code,
    sum(failed_attempts) as failed_attempts,
    sum(retries) as retries,
    count(*) filter (won_back) / nullif(count(*) filter (retries > 0), 0) as retry_success_rate,
    sum(failed_s) as failed_attempt_s,
    sum(failed_cost_usd) as failed_attempt_cost_usd
from steps
group by job_name, coalesce(error_code, 'unknown')
order by failed_attempt_s desc, job_name, error_code
limit $limit
