-- Error signatures of failed runs in the current period, with the previous period's count.
-- The previous period is only counted: its jobs, times and run ids are never read.
with by_job as (
    select
        error_signature as signature,
        job_name,
        count(*) as runs,
        max(ended_at) as last_ended_at,
        arg_max(run_id, ended_at) as last_run_id
    from fct_runs
    where error_signature is not null and day >= $start and day < $end
      and ($team::varchar is null or team = $team)
    group by error_signature, job_name
),

occurrences as (
    select
        signature,
        sum(runs) as runs,
        count(*) as jobs,
        arg_max(last_run_id, last_ended_at) as last_run_id,
        arg_max(job_name, last_ended_at) as last_job_name
    from by_job
    group by signature
),

previous as (
    select error_signature as signature, count(*) as runs
    from fct_runs
    where error_signature is not null and day >= $prev_start and day < $prev_end
      and ($team::varchar is null or team = $team)
    group by error_signature
),

final as (
    select
        c.signature, f.error_code, f.error_class, f.transient, f.sample_message, f.remediation,
        c.runs as occurrences, coalesce(p.runs, 0) as prev_occurrences, c.jobs as jobs_affected,
        f.first_seen, coalesce(f.first_seen >= $start, false) as is_new, c.last_run_id, c.last_job_name
    from occurrences c
    left join previous p on p.signature = c.signature
    left join failure_patterns f on f.signature = c.signature
)

select * from final order by occurrences desc, signature limit $limit
