-- fct_runs: one row per run: its lifecycle, step outcome, token and cost totals, and the
-- code and signature of its root failure. day = UTC date it ended (queued, while unfinished).
-- grain: run_id
-- kind: incremental_by_run
-- audit not_negative: queue_wait_s, prep_s, duration_s, step_count, failed_steps, step_retries, input_tokens, output_tokens, cost_usd
with transitions as not materialized (
    select * from stg_runs
),

attempts as not materialized (
    select * from fct_steps
),

calls as not materialized (
    select * from int_model_call_costs
),

errors as not materialized (
    select * from fct_errors
),

lifecycle as (
    select
        run_id,
        arg_max(job_name, ts) filter (where job_name is not null) as job_name,
        arg_max(job_type, ts) filter (where job_type is not null) as job_type,
        arg_max(team, ts) filter (where team is not null) as team,
        arg_max(trigger, ts) filter (where trigger is not null) as trigger,
        arg_max(trigger_source, ts) filter (where trigger_source is not null) as trigger_source,
        arg_max(priority, ts) filter (where priority is not null) as priority,
        max(parent_run_id) as parent_run_id,
        max(root_run_id) as root_run_id,
        max(partition) as partition_key,
        -- the first terminal transition decides; before that, the furthest state reached
        arg_min(status, ts) filter (where is_terminal) as terminal_status,
        arg_max(status, status_rank) as progress_status,
        min(ts) as first_seen_at,
        min(ts) filter (where status = 'queued') as queued_at,
        min(ts) filter (where status = 'preparing') as preparing_at,
        min(ts) filter (where status = 'running') as started_at,
        min(ts) filter (where is_terminal) as ended_at
    from transitions
    group by run_id
),

step_finals as (
    select run_id, step_key, arg_max(status, attempt) as final_status, count(*) - 1 as retries
    from attempts
    group by run_id, step_key
),

step_totals as (
    select
        run_id,
        count(*) as step_count,
        count(*) filter (where final_status = 'failed') as failed_steps,
        cast(sum(retries) as bigint) as step_retries
    from step_finals
    group by run_id
),

call_totals as (
    select
        run_id,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(cast(cost_usd as decimal(18, 12))) as double) as cost_usd
    from calls
    group by run_id
),

root_failures as (
    select run_id, error_code, signature
    from errors
    where role = 'root'
),

final as (
    select
        lifecycle.run_id,
        coalesce(lifecycle.job_name, 'unknown') as job_name,
        coalesce(lifecycle.job_type, 'unknown') as job_type,
        lifecycle.team,
        lifecycle.trigger,
        lifecycle.trigger_source,
        coalesce(lifecycle.terminal_status, lifecycle.progress_status) as status,
        lifecycle.priority,
        lifecycle.parent_run_id,
        lifecycle.root_run_id,
        lifecycle.partition_key,
        coalesce(lifecycle.queued_at, lifecycle.first_seen_at) as queued_at,
        lifecycle.preparing_at,
        lifecycle.started_at,
        lifecycle.ended_at,
        seconds_between(coalesce(lifecycle.queued_at, lifecycle.first_seen_at),
            coalesce(lifecycle.preparing_at, lifecycle.started_at)) as queue_wait_s,
        seconds_between(lifecycle.preparing_at, lifecycle.started_at) as prep_s,
        seconds_between(lifecycle.started_at, lifecycle.ended_at) as duration_s,
        coalesce(step_totals.step_count, 0) as step_count,
        coalesce(step_totals.failed_steps, 0) as failed_steps,
        coalesce(step_totals.step_retries, 0) as step_retries,
        coalesce(call_totals.input_tokens, 0) as input_tokens,
        coalesce(call_totals.output_tokens, 0) as output_tokens,
        coalesce(call_totals.cost_usd, 0) as cost_usd,
        case when coalesce(lifecycle.terminal_status, '') <> 'completed' then root_failures.error_code end
            as error_code,
        case when coalesce(lifecycle.terminal_status, '') <> 'completed' then root_failures.signature end
            as error_signature,
        utc_date(coalesce(lifecycle.ended_at, lifecycle.queued_at, lifecycle.first_seen_at)) as day
    from lifecycle
    left join step_totals on step_totals.run_id = lifecycle.run_id
    left join call_totals on call_totals.run_id = lifecycle.run_id
    left join root_failures on root_failures.run_id = lifecycle.run_id
)

select * from final
