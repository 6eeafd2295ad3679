-- Cost and time spent in attempts that failed, per job, in the current period and the previous
-- one (agg_retry_daily: a failed step counts on the day its first failed attempt started).
select
    job_name, day >= $start as is_current,
    sum(failed_attempts) as failed_attempts,
    coalesce(sum(failed_attempt_cost_usd), 0) as wasted_usd,
    coalesce(sum(failed_attempt_s), 0) as wasted_s
from agg_retry_daily
where day >= $prev_start and day < $end
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by job_name, is_current
order by wasted_usd desc, job_name
