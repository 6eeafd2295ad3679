-- The step attempts of the report's runs (both periods), one scan of fct_steps.
create or replace temp table report_steps as
select s.run_id, s.job_name, s.step_key, s.attempt, s.status, s.duration_s, s.cpu_s, s.peak_rss_mb,
       s.input_tokens, s.output_tokens, s.cost_usd, s.error_code, r.is_current
from fct_steps s
join report_runs r using (run_id)
