-- retry_economics: per error signature and job: what retrying costs and buys. Step level:
-- failed attempts, how many were retried, how often the next attempt succeeded, time and
-- cost spent in the failed attempts and waiting before retries. Run level: failed runs
-- with this root failure, how many were re-run (parent_run_id) and how often that worked.
-- grain: signature, job_name
-- kind: table
-- audit unit_interval: retry_success_rate, run_retry_success_rate
-- audit not_negative: failed_attempts, retries, retries_succeeded, failed_attempt_time_s, retry_wait_s, failed_attempt_cost_usd, failed_run_time_s, failed_run_cost_usd
with errors as not materialized (
    select * from fct_errors
),

runs as not materialized (
    select * from fct_runs
),

step_retries as (
    select
        signature,
        job_name,
        max(error_code) as error_code,
        count(*) as failed_attempts,
        count(*) filter (where retried) as retries,
        count(*) filter (where retried and next_attempt_status = 'completed') as retries_succeeded,
        coalesce(cast(sum(cast(attempt_duration_s as decimal(18, 6))) as double), 0) as failed_attempt_time_s,
        coalesce(cast(sum(cast(next_attempt_wait_s as decimal(18, 6))) filter (where retried) as double), 0) as retry_wait_s,
        coalesce(cast(sum(cast(attempt_cost_usd as decimal(18, 12))) as double), 0) as failed_attempt_cost_usd
    from errors
    where step_key is not null
    group by signature, job_name
),

failed_runs as (
    select run_id, job_name, error_code, error_signature, duration_s, cost_usd
    from runs
    where status = 'failed' and error_signature is not null
),

rerun_outcomes as (
    select
        failed_runs.error_signature as signature,
        failed_runs.job_name,
        max(failed_runs.error_code) as error_code,
        count(distinct failed_runs.run_id) as failed_runs,
        count(reruns.run_id) as run_retries,
        count(reruns.run_id) filter (where reruns.status = 'completed') as run_retries_succeeded,
        coalesce(cast(sum(cast(failed_runs.duration_s as decimal(18, 6))) as double), 0) as failed_run_time_s,
        coalesce(cast(sum(cast(failed_runs.cost_usd as decimal(18, 12))) as double), 0) as failed_run_cost_usd
    from failed_runs
    left join runs as reruns on reruns.parent_run_id = failed_runs.run_id
    group by failed_runs.error_signature, failed_runs.job_name
),

final as (
    select
        coalesce(step_retries.signature, rerun_outcomes.signature) as signature,
        coalesce(step_retries.job_name, rerun_outcomes.job_name) as job_name,
        coalesce(step_retries.error_code, rerun_outcomes.error_code) as error_code,
        coalesce(step_retries.failed_attempts, 0) as failed_attempts,
        coalesce(step_retries.retries, 0) as retries,
        coalesce(step_retries.retries_succeeded, 0) as retries_succeeded,
        step_retries.retries_succeeded / nullif(step_retries.retries, 0) as retry_success_rate,
        coalesce(step_retries.failed_attempt_time_s, 0) as failed_attempt_time_s,
        coalesce(step_retries.retry_wait_s, 0) as retry_wait_s,
        coalesce(step_retries.failed_attempt_cost_usd, 0) as failed_attempt_cost_usd,
        coalesce(rerun_outcomes.failed_runs, 0) as failed_runs,
        coalesce(rerun_outcomes.run_retries, 0) as run_retries,
        coalesce(rerun_outcomes.run_retries_succeeded, 0) as run_retries_succeeded,
        rerun_outcomes.run_retries_succeeded / nullif(rerun_outcomes.run_retries, 0) as run_retry_success_rate,
        coalesce(rerun_outcomes.failed_run_time_s, 0) as failed_run_time_s,
        coalesce(rerun_outcomes.failed_run_cost_usd, 0) as failed_run_cost_usd
    from step_retries
    full outer join rerun_outcomes
        on rerun_outcomes.signature = step_retries.signature
        and rerun_outcomes.job_name = step_retries.job_name
)

select * from final
