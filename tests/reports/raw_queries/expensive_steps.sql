-- The steps that cost the most in the current period: candidates for a cheaper model or smaller prompts.
select
    job_name, step_key,
    count(*) as attempts,
    sum(input_tokens) + sum(output_tokens) as tokens,
    sum(cost_usd) as cost_usd,
    sum(cost_usd) / count(*) as cost_per_attempt_usd,
    sum(cost_usd) filter (status in ('failed', 'up_for_retry')) as wasted_usd
from fct_steps
where day >= $start and day < $end and cost_usd > 0
  and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
group by job_name, step_key
order by cost_usd desc, job_name, step_key
limit $limit
