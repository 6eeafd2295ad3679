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

latest as (
    select greatest(
        (select max(coalesce(ended_at, started_at, preparing_at, queued_at)) from runs),
        (select max(coalesce(ended_at, started_at)) from steps)
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
