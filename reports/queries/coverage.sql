-- What the report read: warehouse row counts and the latest event time it knows.
select
    (select count(*) from fct_runs) as fct_runs,
    (select count(*) from fct_steps) as fct_steps,
    (select count(*) from agg_cost_daily) as agg_cost_daily,
    (select count(*) from failure_patterns) as failure_patterns,
    (select max(coalesce(ended_at, started_at, queued_at)) from fct_runs) as latest_event_at
