-- stg_errors: failures recorded in the lake, each with its code and normalized signature.
-- grain: error_id
-- kind: view
with source as not materialized (
    select * from errors
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
    from source
)

select * from final
