-- int_model_call_costs: every model call priced with the price valid on its UTC date.
-- Prices are resolved once per (provider, model, day), not once per call; the longest
-- matching model pattern wins. Uncached input, cached input and output are priced apart.
-- grain: call_id
-- kind: view
with calls as not materialized (
    select * from stg_model_calls
),

prices as not materialized (
    select * from ref_model_prices
),

call_models as (
    select distinct provider, model, day from calls
),

matched_prices as (
    select
        call_models.provider,
        call_models.model,
        call_models.day,
        prices.usage_type,
        prices.usd_per_million_tokens,
        prices.price_version
    from call_models
    inner join prices
        on prices.provider = call_models.provider
        and call_models.model glob prices.model_pattern
        and call_models.day >= prices.effective_from
        and (prices.effective_to is null or call_models.day < prices.effective_to)
    qualify row_number() over (
        partition by call_models.provider, call_models.model, call_models.day, prices.usage_type
        order by length(prices.model_pattern) desc, prices.effective_from desc
    ) = 1
),

day_prices as (
    select
        provider,
        model,
        day,
        max(usd_per_million_tokens) filter (where usage_type = 'input') as input_usd_per_m,
        max(usd_per_million_tokens) filter (where usage_type = 'cached_input') as cached_input_usd_per_m,
        max(usd_per_million_tokens) filter (where usage_type = 'output') as output_usd_per_m,
        string_agg(distinct price_version, ',' order by price_version) as price_version
    from matched_prices
    group by provider, model, day
),

final as (
    select
        calls.call_id,
        calls.run_id,
        calls.ts,
        calls.day,
        calls.job_name,
        calls.step_key,
        calls.provider,
        calls.model,
        calls.operation,
        calls.input_tokens,
        calls.cached_input_tokens,
        calls.output_tokens,
        calls.outcome,
        day_prices.price_version,
        day_prices.provider is not null or calls.provider = 'local' as is_priced,
        (
            greatest(calls.input_tokens - calls.cached_input_tokens, 0) * coalesce(day_prices.input_usd_per_m, 0)
            + calls.cached_input_tokens
                * coalesce(day_prices.cached_input_usd_per_m, day_prices.input_usd_per_m, 0)
            + calls.output_tokens * coalesce(day_prices.output_usd_per_m, 0)
        ) / 1e6 as cost_usd
    from calls
    left join day_prices
        on day_prices.provider = calls.provider
        and day_prices.model = calls.model
        and day_prices.day = calls.day
)

select * from final
