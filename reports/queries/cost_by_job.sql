-- Model cost of the current period per job (workflow), with the previous period's cost.
with by_job as (
    select job_name, day >= $start as is_current, sum(calls) as calls, sum(cost_usd) as cost_usd,
           sum(input_tokens) + sum(output_tokens) as tokens
    from agg_cost_daily
    where day >= $prev_start and day < $end
      and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
    group by all
)

select c.job_name, c.calls, c.tokens, c.cost_usd, coalesce(p.cost_usd, 0) as prev_cost_usd,
       c.cost_usd / nullif(p.cost_usd, 0) - 1 as cost_change
from (select * from by_job where is_current) c
left join (select * from by_job where not is_current) p using (job_name)
order by c.cost_usd desc, c.job_name
