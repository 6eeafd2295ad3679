-- Model cost per day and model over the current period.
select day, model, sum(cost_usd) as cost_usd
from agg_cost_daily
where day >= $start and day < $end
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by day, model
order by day, model
