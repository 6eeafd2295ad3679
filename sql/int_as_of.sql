-- int_as_of: the moment the models describe: the latest lifecycle event in fct_runs.
-- Rolling windows, "new" flags, month-to-date spend and ETAs are relative to it, so a
-- refresh gives the same answer however late it runs, and simulated history works too.
-- grain: as_of
-- kind: table
with runs as (
    select * from fct_runs
),

latest as (
    select max(coalesce(ended_at, started_at, preparing_at, queued_at)) as latest_event_at
    from runs
),

final as (
    select
        coalesce(latest_event_at, current_date::timestamptz) as as_of,
        cast(coalesce(latest_event_at, current_date::timestamptz) as date) as as_of_day,
        cast(date_trunc('month', coalesce(latest_event_at, current_date::timestamptz)) as date) as month_start
    from latest
)

select * from final
