-- int_step_attempts: step events folded to one row per attempt (open + close + usage rows).
-- A writer may also record an attempt as one closed row carrying started_at and ended_at.
-- grain: run_id, step_key, attempt
-- kind: view
with step_events as not materialized (
    select * from stg_steps
),

folded as (
    select
        run_id,
        step_key,
        attempt,
        max(job_name) as job_name,
        min(ts) as first_seen_at,
        min(coalesce(started_at, case when status = 'started' then ts end)) as started_at,
        max(coalesce(ended_at, ts)) filter (where is_close) as ended_at,
        arg_min(status, ts) filter (where is_close) as close_status,
        max(duration_s) filter (where is_close) as reported_duration_s,
        max(wait_before_s) as wait_before_s,
        max(cpu_s) as cpu_s,
        max(peak_rss_mb) as peak_rss_mb,
        max(error_code) filter (where is_close) as error_code
    from step_events
    group by run_id, step_key, attempt
),

final as (
    select
        run_id,
        job_name,
        step_key,
        attempt,
        coalesce(close_status, 'running') as status,
        started_at,
        ended_at,
        coalesce(reported_duration_s, seconds_between(started_at, ended_at)) as duration_s,
        wait_before_s,
        cpu_s,
        peak_rss_mb,
        error_code,
        first_seen_at
    from folded
)

select * from final
