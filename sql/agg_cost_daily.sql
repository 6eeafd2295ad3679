-- agg_cost_daily: per UTC day, job, provider and model: calls, tokens and cost, priced
-- with the price valid on the day of each call (re-running after a price change re-prices).
-- grain: day, job_name, provider, model
-- kind: incremental_by_day
-- audit not_negative: calls, input_tokens, cached_input_tokens, output_tokens, cost_usd
with calls as not materialized (
    select * from int_model_call_costs
),

final as (
    select
        day,
        job_name,
        provider,
        model,
        count(*) as calls,
        count(*) filter (where outcome <> 'ok') as failed_calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(cached_input_tokens) as bigint) as cached_input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(cast(cost_usd as decimal(18, 12))) as double) as cost_usd,
        string_agg(distinct price_version, ',' order by price_version) as price_version
    from calls
    group by day, job_name, provider, model
)

select * from final
