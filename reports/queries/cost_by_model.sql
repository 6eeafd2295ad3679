-- Model cost of the current period per model, with the previous period's cost.
with by_model as (
    select
        provider, model, day >= $start as is_current,
        sum(calls) as calls, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd
    from agg_cost_daily
    where day >= $prev_start and day < $end
      and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
    group by all
)

select
    coalesce(c.provider, p.provider) as provider, coalesce(c.model, p.model) as model,
    coalesce(c.calls, 0) as calls, coalesce(c.input_tokens, 0) as input_tokens, coalesce(c.output_tokens, 0) as output_tokens,
    coalesce(c.cost_usd, 0) as cost_usd, coalesce(p.cost_usd, 0) as prev_cost_usd,
    coalesce(c.cost_usd, 0) - coalesce(p.cost_usd, 0) as cost_delta_usd
from (select * from by_model where is_current) c
full join (select * from by_model where not is_current) p on p.provider = c.provider and p.model = c.model
order by cost_usd desc, model
