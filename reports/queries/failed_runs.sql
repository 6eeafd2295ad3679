-- The latest failed runs of the current period, with the error they failed on.
select r.run_id, r.job_name, r.ended_at, r.error_code, r.error_signature, f.sample_message
from report_runs r
left join failure_patterns f on f.signature = r.error_signature
where r.is_current and r.status = 'failed'
order by r.ended_at desc, r.run_id
limit $limit
