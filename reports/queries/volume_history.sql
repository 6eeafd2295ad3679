-- Runs per day over the 30 days before the period ends, the base of the volume forecast.
select day, sum(runs) as runs
from agg_job_daily
where day >= $end - interval 30 day and day < $end
  and ($team::varchar is null or job_name in (select job_name from fct_runs where team = $team))
group by day
order by day
