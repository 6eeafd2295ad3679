-- The steps that cost the most in the current period (agg_step_daily): candidates for a cheaper
-- model or smaller prompts. Attempts and tokens are those of the attempts with a model cost.
select
    job_name, step_key,
    sum(costed_attempts) as attempts,
    sum(costed_tokens) as tokens,
    sum(cost_usd) as cost_usd,
    sum(cost_usd) / sum(costed_attempts) as cost_per_attempt_usd,
    nullif(sum(failed_cost_usd), 0) as wasted_usd
from agg_step_daily
where day >= $start and day < $end and cost_usd > 0
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by job_name, step_key
order by cost_usd desc, job_name, step_key
limit $limit
