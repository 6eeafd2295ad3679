-- Time to recover per job in the current period, from fct_incidents. The period is read on its
-- own: an incident that began before it starts at its first failure in the period, and one
-- not recovered before the period ends counts as open. Only the incidents that began before
-- the period need a run's time: their job's first failure in it, read from fct_runs on that
-- one day (agg_job_daily says which).
with incidents as (
    select job_name, started_at, recovered_at, day
    from fct_incidents
    where day < $end and last_failed_day >= $start
      and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
),

first_failing_days as (
    select d.job_name, min(d.day) as day
    from agg_job_daily d
    semi join (select job_name from incidents where day < $start) i on i.job_name = d.job_name
    where d.day >= $start and d.day < $end and d.failed > 0
    group by d.job_name
),

first_failures as (
    select r.job_name, min(r.ended_at) as first_failed_at
    from fct_runs r
    semi join first_failing_days f on f.job_name = r.job_name and f.day = r.day
    where r.status = 'failed' and r.day >= $start and r.day < $end
    group by r.job_name
),

period_incidents as (
    select
        i.job_name,
        coalesce(f.first_failed_at, i.started_at) as started_at,
        case when i.recovered_at < $end then i.recovered_at end as recovered_at
    from incidents i
    left join first_failures f on f.job_name = i.job_name and i.day < $start
    where i.day >= $start or f.first_failed_at is not null
)

select
    job_name,
    count(*) as incidents,
    count(recovered_at) as recovered,
    avg(epoch(recovered_at - started_at)) as mttr_s,
    max(epoch(recovered_at - started_at)) as max_ttr_s
from period_incidents
group by job_name
order by mttr_s desc nulls first, job_name
