-- stg_errors: failures recorded in the lake, each with its code and normalized signature.
-- A step failure can be recorded twice: by the op through the telemetry resource and by
-- capture from Dagster's event log. One failure per run, step and attempt is kept, the
-- captured one first (it carries Dagster's own stack trace).
-- grain: error_id
-- kind: view
with source as (
    select * from errors
),

one_per_attempt as (
    select *
    from source
    qualify row_number() over (
        partition by run_id, coalesce(step_key, ''), coalesce(attempt, 0)
        order by (source = 'dagster') desc nulls last, ts, id
    ) = 1
),

final as (
    select
        id as error_id,
        run_id,
        ts,
        coalesce(job_name, 'unknown') as job_name,
        step_key,
        attempt,
        error_class,
        error_code,
        transient,
        message,
        -- a writer that could not compute a signature still groups by its code
        coalesce(signature, 'code:' || error_code) as signature
    from one_per_attempt
)

select * from final
