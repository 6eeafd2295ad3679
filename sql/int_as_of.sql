-- int_as_of: the moment the models describe: the latest run or step event recorded.
-- Rolling windows, "new" flags, month-to-date spend and ETAs are relative to it, so a
-- refresh gives the same answer however late it runs, and simulated history works too.
-- grain: as_of
-- kind: table
with runs as not materialized (
    select * from fct_runs
),

steps as not materialized (
    select * from fct_steps
),

-- A run spans at most 31 days, so the latest event belongs to a run (or attempt) dated
-- within 32 days of the latest day: only those row groups are read.
latest as (
    select greatest(
        (select max(coalesce(ended_at, started_at, preparing_at, queued_at)) from runs
            where day >= (select max(day) from runs) - 32),
        (select max(coalesce(ended_at, started_at)) from steps
            where day >= (select max(day) from steps) - 32)
    ) as latest_event_at
),

final as (
    select
        coalesce(latest_event_at, current_date::timestamptz) as as_of,
        cast(coalesce(latest_event_at, current_date::timestamptz) as date) as as_of_day,
        cast(date_trunc('month', coalesce(latest_event_at, current_date::timestamptz)) as date) as month_start
    from latest
)

select * from final
