-- Cost spent in attempts that failed, per job, in the current period and the previous one.
select
    job_name, day >= $start as is_current,
    count(*) as failed_attempts,
    coalesce(sum(cost_usd), 0) as wasted_usd,
    coalesce(sum(duration_s), 0) as wasted_s
from fct_steps
where status in ('failed', 'up_for_retry') and day >= $prev_start and day < $end
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by job_name, is_current
order by wasted_usd desc, job_name
