-- Runs per day and final status in the current period, from agg_job_daily.
with days as (
    select day, sum(completed) as completed, sum(failed) as failed, sum(cancelled) as cancelled,
           sum(runs) - sum(completed) - sum(failed) - sum(cancelled) as unfinished
    from agg_job_daily
    where day >= $start and day < $end and ($team::varchar is null or team = $team)
    group by day
)

select *
from (unpivot days on completed, failed, cancelled, unfinished into name status value runs)
where runs > 0
order by day, status
