-- stg_model_calls: AI model calls from the lake with token counts defaulted to zero.
-- grain: call_id
-- kind: view
with source as not materialized (
    select * from model_calls
),

final as (
    select
        id as call_id,
        run_id,
        ts,
        utc_date(ts) as day,
        coalesce(job_name, 'unknown') as job_name,
        step_key,
        provider,
        model,
        operation,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(cached_input_tokens, 0) as cached_input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        latency_ms,
        coalesce(outcome, 'ok') as outcome
    from source
)

select * from final
