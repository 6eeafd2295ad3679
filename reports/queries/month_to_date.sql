-- Spend of the month the period ends in, up to the period's end: the base of the month-end forecast.
select
    date_trunc('month', $end - interval 1 day)::date as month,
    coalesce(sum(cost_usd), 0) as spent_usd,
    count(distinct day) as days_with_spend
from agg_cost_daily
where day >= date_trunc('month', $end - interval 1 day) and day < $end
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
