-- Retry economics of the current period per job and error code (agg_retry_daily): how often a
-- retry won a failed step back (steps won back / steps retried), and the time and cost spent in
-- attempts that failed. A failed step counts on the day its first failed attempt started.
select
    job_name,
    error_code,
    sum(failed_attempts) as failed_attempts,
    sum(retries) as retries,
    sum(won_back_steps) / nullif(sum(retried_steps), 0) as retry_success_rate,
    sum(failed_attempt_s) as failed_attempt_s,
    sum(failed_attempt_cost_usd) as failed_attempt_cost_usd
from agg_retry_daily
where day >= $start and day < $end
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by job_name, error_code
order by failed_attempt_s desc, job_name, error_code
limit $limit
