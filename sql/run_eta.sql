-- run_eta: for every queued, preparing or running run: where it stands and when it should
-- finish. Remaining work = the job's p50 (p90) run duration scaled by the share of its
-- typical step time still to do (which respects steps running in parallel); a queued run
-- first waits the job's p50 (p90) queue wait. History = the 28 days up to as_of.
-- grain: run_id
-- kind: table
-- audit unit_interval: share_done
-- audit not_negative: elapsed_s, remaining_p50_s, remaining_p90_s, queue_position
with runs as not materialized (
    select * from fct_runs
),

steps as not materialized (
    select * from fct_steps
),

clock as not materialized (
    select * from int_as_of
),

open_runs as (
    select runs.*
    from runs
    where runs.status in ('queued', 'preparing', 'running')
),

history_runs as (
    select
        runs.job_name,
        quantile_cont(runs.duration_s, 0.5) as p50_duration_s,
        quantile_cont(runs.duration_s, 0.9) as p90_duration_s,
        quantile_cont(runs.queue_wait_s, 0.5) as p50_queue_wait_s,
        quantile_cont(runs.queue_wait_s, 0.9) as p90_queue_wait_s
    from runs
    cross join clock
    where runs.day > getvariable('as_of_day') - 28 and runs.status = 'completed'
    group by runs.job_name
),

history_steps as (
    select steps.job_name, steps.step_key, quantile_cont(steps.duration_s, 0.5) as p50_duration_s
    from steps
    cross join clock
    where steps.day > getvariable('as_of_day') - 28 and steps.status = 'completed'
    group by steps.job_name, steps.step_key
),

finished_steps as (
    select distinct steps.run_id, steps.step_key
    from steps
    semi join open_runs on open_runs.run_id = steps.run_id
    -- no attempt starts before its run was queued: only recent row groups are read
    where steps.day >= (select min(utc_date(queued_at)) - 1 from open_runs)
        and steps.status in ('completed', 'skipped')
),

progress as (
    select
        open_runs.run_id,
        count(finished_steps.step_key) as steps_done,
        count(*) - count(finished_steps.step_key) as steps_remaining,
        coalesce(sum(cast(history_steps.p50_duration_s as decimal(18, 6)))
            filter (where finished_steps.step_key is not null), 0)
            / nullif(sum(cast(history_steps.p50_duration_s as decimal(18, 6))), 0) as share_done
    from open_runs
    inner join history_steps on history_steps.job_name = open_runs.job_name
    left join finished_steps
        on finished_steps.run_id = open_runs.run_id and finished_steps.step_key = history_steps.step_key
    group by open_runs.run_id
),

queue as (
    select
        run_id,
        row_number() over (order by priority desc nulls last, queued_at, run_id) as queue_position
    from open_runs
    where status = 'queued'
),

estimates as (
    select
        open_runs.*,
        clock.as_of,
        queue.queue_position,
        coalesce(progress.steps_done, 0) as steps_done,
        progress.steps_remaining,
        coalesce(progress.share_done, 0) as share_done,
        seconds_between(coalesce(open_runs.started_at, open_runs.queued_at), clock.as_of) as elapsed_s,
        case when open_runs.status = 'queued' then greatest(open_runs.queued_at
            + to_seconds(coalesce(history_runs.p50_queue_wait_s, 0)), clock.as_of)
            else coalesce(open_runs.started_at, open_runs.preparing_at) end as expected_start_p50,
        case when open_runs.status = 'queued' then greatest(open_runs.queued_at
            + to_seconds(coalesce(history_runs.p90_queue_wait_s, 0)), clock.as_of)
            else coalesce(open_runs.started_at, open_runs.preparing_at) end as expected_start_p90,
        history_runs.p50_duration_s * (1 - coalesce(progress.share_done, 0)) as remaining_p50_s,
        history_runs.p90_duration_s * (1 - coalesce(progress.share_done, 0)) as remaining_p90_s,
        case
            when history_runs.p50_duration_s is null then 'none'
            when progress.run_id is null then 'runs'
            else 'steps'
        end as basis
    from open_runs
    cross join clock
    left join history_runs on history_runs.job_name = open_runs.job_name
    left join progress on progress.run_id = open_runs.run_id
    left join queue on queue.run_id = open_runs.run_id
),

final as (
    select
        run_id,
        job_name,
        job_type,
        team,
        status,
        priority,
        queued_at,
        started_at,
        as_of,
        queue_position,
        elapsed_s,
        steps_done,
        steps_remaining,
        share_done,
        remaining_p50_s,
        remaining_p90_s,
        expected_start_p50 as expected_start_at,
        -- a run past its typical duration is expected to finish any moment, not in the past
        greatest(expected_start_p50 + to_seconds(remaining_p50_s), as_of) as eta,
        greatest(expected_start_p90 + to_seconds(remaining_p90_s), as_of) as eta_p90,
        basis
    from estimates
)

select * from final
