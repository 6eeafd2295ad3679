-- Peak concurrent and queued runs per day of the current period, for all job types together
-- (agg_capacity keeps the last 28 days; capacity is shared, so it is never scoped to a team).
select cast(hour as date) as day, max(peak_concurrent_runs) as peak_concurrency, max(peak_queued_runs) as peak_queued
from agg_capacity
where job_type = 'all' and not is_forecast and hour >= $start and hour < $end
group by 1
order by 1
