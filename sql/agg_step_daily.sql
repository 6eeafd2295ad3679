-- agg_step_daily: per UTC day an attempt started, job and step: attempts, failures and
-- retries, duration percentiles and time, CPU, memory, tokens and cost, and what the failed
-- attempts took. What the reports read instead of every step attempt of a period.
-- Incremental from refresh_from: every attempt of a recomputed run started on or after the
-- day that run was queued, which is never before refresh_from, so the days from then on are
-- all that can change (a run-day merge would miss a step started on a middle day of a long
-- run). Sums are exact decimals, so a rebuild from the same rows gives the same bits.
-- grain: day, job_name, step_key
-- kind: incremental_from_day
-- The measured values (durations, CPU, memory, tokens, cost) are audited where they enter,
-- in fct_steps; a bad one is reported there once, not again by every aggregate of it.
-- audit not_negative: attempts, failed_attempts, retries, cpu_attempts, memory_attempts, costed_attempts
with attempts as not materialized (
    select * from fct_steps
),

-- refresh_from, the first day to compute, is bound from the clock
clock as not materialized (
    select * from int_as_of
),

recent_attempts as (
    select
        attempts.*,
        attempts.status in ('failed', 'up_for_retry') as is_failure
    from attempts
    where attempts.day >= getvariable('refresh_from')
),

by_step as (
    select
        day,
        job_name,
        step_key,
        count(*) as attempts,
        count(*) filter (where is_failure) as failed_attempts,
        count(*) filter (where attempt > 1) as retries,
        -- both percentiles from one quantile state
        quantile_cont(duration_s, [0.5, 0.95]) as duration_quantiles,
        max(duration_s) as max_duration_s,
        sum(cast(duration_s as decimal(18, 6))) as total_duration_s,
        sum(cast(duration_s as decimal(18, 6))) filter (where is_failure) as failed_duration_s,
        count(cpu_s) as cpu_attempts,
        sum(cast(cpu_s as decimal(18, 6))) as total_cpu_s,
        count(peak_rss_mb) as memory_attempts,
        max(peak_rss_mb) as max_peak_rss_mb,
        sum(cast(peak_rss_mb as decimal(18, 6))) as total_peak_rss_mb,
        count(*) filter (where cost_usd > 0) as costed_attempts,
        sum(input_tokens + output_tokens) filter (where cost_usd > 0) as costed_tokens,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cast(cost_usd as decimal(18, 12))) as cost_usd,
        sum(cast(cost_usd as decimal(18, 12))) filter (where is_failure) as failed_cost_usd
    from recent_attempts
    group by day, job_name, step_key
),

final as (
    select
        day,
        job_name,
        step_key,
        attempts,
        failed_attempts,
        retries,
        duration_quantiles[1] as p50_duration_s,
        duration_quantiles[2] as p95_duration_s,
        max_duration_s,
        coalesce(cast(total_duration_s as double), 0) as total_duration_s,
        coalesce(cast(failed_duration_s as double), 0) as failed_duration_s,
        cpu_attempts,
        coalesce(cast(total_cpu_s as double), 0) as total_cpu_s,
        cast(total_cpu_s / nullif(cpu_attempts, 0) as double) as avg_cpu_s,
        memory_attempts,
        max_peak_rss_mb,
        cast(total_peak_rss_mb / nullif(memory_attempts, 0) as double) as avg_peak_rss_mb,
        costed_attempts,
        cast(coalesce(costed_tokens, 0) as bigint) as costed_tokens,
        cast(coalesce(input_tokens, 0) as bigint) as input_tokens,
        cast(coalesce(output_tokens, 0) as bigint) as output_tokens,
        coalesce(cast(cost_usd as double), 0) as cost_usd,
        coalesce(cast(failed_cost_usd as double), 0) as failed_cost_usd
    from by_step
)

select * from final
