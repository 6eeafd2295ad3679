-- stg_steps: step attempt events from the lake (open, close and in-op usage rows).
-- grain: step_event_id
-- kind: view
with source as not materialized (
    select * from steps
),

final as (
    select
        id as step_event_id,
        run_id,
        ts,
        coalesce(job_name, 'unknown') as job_name,
        step_key,
        attempt,
        status,
        status not in ('started', 'usage') as is_close,
        started_at,
        ended_at,
        duration_s,
        wait_before_s,
        cpu_s,
        peak_rss_mb,
        error_code
    from source
)

select * from final
