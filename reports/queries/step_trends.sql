-- Steps whose p95 duration grew over the last 7 days against the 7 before (agg_step_performance,
-- as of the warehouse's latest refresh).
select job_name, step_key, attempts, prev_p95_duration_s, p95_duration_s, p95_change, share_of_run_time
from agg_step_performance
where p95_change >= $min_change
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
order by p95_change desc, job_name, step_key
limit $limit
