-- Peak number of runs executing at once, per day of the current period (a sweep over start/end events).
with events as (
    select started_at as event_at, 1 as delta from report_runs where is_current and started_at is not null
    union all
    select ended_at, -1 from report_runs where is_current and started_at is not null and ended_at is not null
),

running as (
    select event_at, sum(delta) over (order by event_at, delta rows unbounded preceding) as running from events
)

select cast(event_at as date) as day, max(running) as peak_concurrency
from running
group by 1
order by 1
