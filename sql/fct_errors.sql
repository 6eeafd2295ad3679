-- fct_errors: one row per recorded failure, placed in its run's failure story.
-- role: 'recovered' when a later attempt of the same step completed; otherwise the
-- earliest failure of the run is its 'root' and every later one a downstream 'cascade'.
-- grain: error_id
-- kind: incremental_by_run
-- audit not_negative: attempt_duration_s, attempt_cost_usd
with errors as not materialized (
    select * from stg_errors
),

attempts as not materialized (
    select * from fct_steps
),

-- only the attempts of steps that recorded a failure matter: a few, not all history
error_attempts as materialized (
    select attempts.run_id, attempts.step_key, attempts.attempt, attempts.status, attempts.duration_s,
        attempts.cost_usd, attempts.wait_before_s
    from attempts
    semi join errors on errors.run_id = attempts.run_id and errors.step_key = attempts.step_key
),

step_outcomes as (
    select
        run_id,
        step_key,
        max(attempt) as last_attempt,
        arg_max(status, attempt) as final_status
    from error_attempts
    group by run_id, step_key
),

placed as (
    select
        errors.*,
        failed_attempt.duration_s as attempt_duration_s,
        failed_attempt.cost_usd as attempt_cost_usd,
        next_attempt.status as next_attempt_status,
        next_attempt.wait_before_s as next_attempt_wait_s,
        coalesce(step_outcomes.last_attempt > errors.attempt, false) as retried,
        coalesce(step_outcomes.final_status = 'completed', false) as recovered
    from errors
    left join error_attempts as failed_attempt
        on failed_attempt.run_id = errors.run_id
        and failed_attempt.step_key = errors.step_key
        and failed_attempt.attempt = errors.attempt
    left join error_attempts as next_attempt
        on next_attempt.run_id = errors.run_id
        and next_attempt.step_key = errors.step_key
        and next_attempt.attempt = errors.attempt + 1
    left join step_outcomes
        on step_outcomes.run_id = errors.run_id
        and step_outcomes.step_key = errors.step_key
),

ranked as (
    select
        *,
        row_number() over (partition by run_id, recovered order by ts, error_id) as failure_order
    from placed
),

final as (
    select
        error_id,
        run_id,
        job_name,
        step_key,
        attempt,
        ts,
        utc_date(ts) as day,
        error_class,
        error_code,
        transient,
        signature,
        message,
        case
            when recovered then 'recovered'
            when failure_order = 1 then 'root'
            else 'cascade'
        end as role,
        retried,
        next_attempt_status,
        next_attempt_wait_s,
        attempt_duration_s,
        attempt_cost_usd
    from ranked
)

select * from final
