-- The latest run of each job in the current period, what a job links to in the Dagster UI. Only
-- the days from $since (the earliest of the jobs' last days) are read.
select job_name, arg_max(run_id, coalesce(ended_at, queued_at)) as last_run_id,
       arg_max(status, coalesce(ended_at, queued_at)) as last_status
from fct_runs
where day >= $since and day < $end and ($team::varchar is null or team = $team)
group by job_name
