-- The latest failed runs of the current period, with the error they failed on. The cut-off time
-- is found first on the timestamp column alone, so only those few rows' strings are read.
with cutoff as (
    select min(ended_at) as since
    from (
        select ended_at from fct_runs
        where status = 'failed' and day >= $start and day < $end and ($team::varchar is null or team = $team)
        order by ended_at desc
        limit $limit
    )
)

select r.run_id, r.job_name, r.ended_at, r.error_code, r.error_signature, f.sample_message
from fct_runs r
left join failure_patterns f on f.signature = r.error_signature
where r.status = 'failed' and r.day >= $start and r.day < $end and ($team::varchar is null or r.team = $team)
  and r.ended_at >= (select since from cutoff)
order by r.ended_at desc, r.run_id
limit $limit
