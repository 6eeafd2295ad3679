-- The runs a report reads, in one scan of fct_runs: this period and the one before, in the team's scope.
create or replace temp table report_runs as
select run_id, job_name, job_type, status, queued_at, started_at, ended_at, queue_wait_s, duration_s,
       step_retries, cost_usd, input_tokens, output_tokens, error_code, error_signature, day,
       day >= $start as is_current
from fct_runs
where day >= $prev_start and day < $end and ($team::varchar is null or team = $team)
