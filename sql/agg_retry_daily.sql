-- agg_retry_daily: per UTC day, job and error code: the steps that failed and what retrying
-- them cost and won back. A step (of a run) counts once, on the day its first failed attempt
-- started and under that attempt's error code, with all its failed attempts and retries
-- (attempts after the first), even when they ran on a later day.
-- Incremental from refresh_from: the attempts of a recomputed run start on or after the day
-- it was queued, never before refresh_from. A step whose first failure came before
-- refresh_from belongs to an earlier day and is left out (a run spans at most 31 days, so
-- 32 days of failures before refresh_from are looked at). Sums are exact decimals.
-- grain: day, job_name, error_code
-- kind: incremental_from_day
-- Times and costs are audited where they enter, in fct_steps.
-- audit not_negative: failed_steps, failed_attempts, retries, retried_steps, won_back_steps
with attempts as not materialized (
    select * from fct_steps
),

-- refresh_from, the first day to compute, is bound from the clock
clock as not materialized (
    select * from int_as_of
),

-- failures and retries are a few percent of the attempts: each filter applies in the scan
failures_and_retries as (
    select
        run_id, job_name, step_key, attempt, status, error_code, duration_s, wait_before_s, cost_usd, day,
        status in ('failed', 'up_for_retry') as is_failure
    from attempts
    where day >= getvariable('refresh_from')
        and (status in ('failed', 'up_for_retry') or attempt > 1)
),

failed_before as (
    select distinct run_id, step_key
    from attempts
    where day >= getvariable('refresh_from') - 32
        and day < getvariable('refresh_from')
        and status in ('failed', 'up_for_retry')
),

failed_steps as (
    select
        run_id,
        step_key,
        max(job_name) as job_name,
        arg_min(day, attempt) filter (where is_failure) as day,
        arg_min(error_code, attempt) filter (where is_failure) as error_code,
        count(*) filter (where is_failure) as failed_attempts,
        count(*) filter (where attempt > 1) as retries,
        bool_or(attempt > 1 and status = 'completed') as won_back,
        sum(cast(duration_s as decimal(18, 6))) filter (where is_failure) as failed_attempt_s,
        sum(cast(wait_before_s as decimal(18, 6))) filter (where attempt > 1) as retry_wait_s,
        sum(cast(cost_usd as decimal(18, 12))) filter (where is_failure) as failed_attempt_cost_usd
    from failures_and_retries
    anti join failed_before using (run_id, step_key)
    group by run_id, step_key
    having count(*) filter (where is_failure) > 0
),

final as (
    select
        day,
        job_name,
        coalesce(error_code, 'unknown') as error_code,
        count(*) as failed_steps,
        cast(sum(failed_attempts) as bigint) as failed_attempts,
        cast(sum(retries) as bigint) as retries,
        count(*) filter (where retries > 0) as retried_steps,
        count(*) filter (where won_back) as won_back_steps,
        coalesce(cast(sum(failed_attempt_s) as double), 0) as failed_attempt_s,
        coalesce(cast(sum(retry_wait_s) as double), 0) as retry_wait_s,
        coalesce(cast(sum(failed_attempt_cost_usd) as double), 0) as failed_attempt_cost_usd
    from failed_steps
    group by day, job_name, coalesce(error_code, 'unknown')
)

select * from final
