-- fct_steps: one row per step attempt, with its duration, resources, tokens and cost.
-- Model calls carry no attempt number: each is attributed to the latest attempt of its
-- step that had started when the call was made.
-- grain: run_id, step_key, attempt
-- kind: incremental_by_run
-- audit not_negative: duration_s, wait_before_s, cpu_s, peak_rss_mb, input_tokens, output_tokens, cost_usd
-- materialized: folding the step events is the expensive part, done once
with attempts as materialized (
    select * from int_step_attempts
),

calls as not materialized (
    select * from int_model_call_costs
    where step_key is not null
),

attempt_starts as (
    select run_id, step_key, attempt, started_at
    from attempts
    where started_at is not null
),

-- the latest attempt started by the time of the call (attempt 1 when none had started);
-- a hash join on the step and a pick per call is cheaper here than an ASOF join
call_attempts as (
    select
        any_value(calls.run_id) as run_id,
        any_value(calls.step_key) as step_key,
        coalesce(arg_max(attempt_starts.attempt, attempt_starts.started_at), 1) as attempt,
        any_value(calls.input_tokens) as input_tokens,
        any_value(calls.output_tokens) as output_tokens,
        any_value(calls.cost_usd) as cost_usd
    from calls
    left join attempt_starts
        on calls.run_id = attempt_starts.run_id
        and calls.step_key = attempt_starts.step_key
        and calls.ts >= attempt_starts.started_at
    group by calls.call_id
),

attempt_usage as (
    select
        run_id,
        step_key,
        attempt,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(cast(cost_usd as decimal(18, 12))) as double) as cost_usd
    from call_attempts
    group by run_id, step_key, attempt
),

final as (
    select
        attempts.run_id,
        attempts.job_name,
        attempts.step_key,
        attempts.attempt,
        attempts.status,
        attempts.started_at,
        attempts.ended_at,
        attempts.duration_s,
        attempts.wait_before_s,
        attempts.cpu_s,
        attempts.peak_rss_mb,
        coalesce(attempt_usage.input_tokens, 0) as input_tokens,
        coalesce(attempt_usage.output_tokens, 0) as output_tokens,
        coalesce(attempt_usage.cost_usd, 0) as cost_usd,
        attempts.error_code,
        utc_date(coalesce(attempts.started_at, attempts.ended_at, attempts.first_seen_at)) as day
    from attempts
    left join attempt_usage
        on attempt_usage.run_id = attempts.run_id
        and attempt_usage.step_key = attempts.step_key
        and attempt_usage.attempt = attempts.attempt
)

select * from final
