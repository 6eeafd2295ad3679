-- Runs per day: the 30 days before the forecast starts (agg_job_daily), then agg_capacity's
-- linear forecast for the next 30 days (all job types together).
with forecast as (
    select cast(hour as date) as day, forecast_runs as runs
    from agg_capacity
    where job_type = 'all' and is_forecast
),

actual as (
    select day, sum(runs) as runs
    from agg_job_daily
    where day >= (select min(day) from forecast) - 30 and day < (select min(day) from forecast)
    group by day
)

select day, runs, 'actual' as series from actual
union all
select day, runs, 'forecast' from forecast
order by series, day
