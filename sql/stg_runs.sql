-- stg_runs: run status transitions from the lake, typed and named for the models.
-- grain: transition_id
-- kind: view
with source as not materialized (
    select * from runs
),

final as (
    select
        id as transition_id,
        run_id,
        ts,
        status,
        case status
            when 'queued' then 1
            when 'preparing' then 2
            when 'running' then 3
            else 4
        end as status_rank,
        status in ('completed', 'failed', 'cancelled') as is_terminal,
        job_name,
        job_type,
        team,
        trigger,
        trigger_source,
        priority,
        parent_run_id,
        root_run_id,
        partition
    from source
)

select * from final
