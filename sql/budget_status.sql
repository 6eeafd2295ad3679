-- budget_status: per configured monthly budget (per job, team, model or total): spend in
-- the month of as_of so far, a straight-line forecast of month-end spend, and the share of
-- the budget used. Budgets come from budgets.yaml (or $JOBLENS_BUDGETS) via ref_budgets.
-- grain: budget_name
-- kind: table
-- audit not_negative: budget_usd, spend_mtd_usd, forecast_month_end_usd, share_used, forecast_share
with budgets as not materialized (
    select * from ref_budgets
),

costs as not materialized (
    select * from agg_cost_daily
),

runs as not materialized (
    select * from fct_runs
),

clock as not materialized (
    select * from int_as_of
),

job_teams as (
    select runs.job_name, arg_max(runs.team, runs.queued_at) as team
    from runs
    cross join clock
    where runs.day >= date_trunc('month', getvariable('as_of_day')) - interval 31 day and runs.team is not null
    group by runs.job_name
),

month_costs as (
    select costs.*, job_teams.team
    from costs
    cross join clock
    left join job_teams on job_teams.job_name = costs.job_name
    where costs.day >= date_trunc('month', getvariable('as_of_day')) and costs.day <= getvariable('as_of_day')
),

spend as (
    select
        budgets.budget_name,
        coalesce(cast(sum(cast(month_costs.cost_usd as decimal(18, 12))) as double), 0) as spend_mtd_usd
    from budgets
    left join month_costs
        on case budgets.scope
            when 'total' then true
            when 'job' then month_costs.job_name glob budgets.match
            when 'team' then month_costs.team glob budgets.match
            when 'model' then month_costs.model glob budgets.match
                or (month_costs.provider || '/' || month_costs.model) glob budgets.match
        end
    group by budgets.budget_name
),

final as (
    select
        budgets.budget_name,
        budgets.scope,
        budgets.match,
        clock.month_start as month,
        budgets.monthly_usd as budget_usd,
        spend.spend_mtd_usd,
        -- elapsed days of the month, at least one so an early-month forecast stays sane
        greatest(epoch(clock.as_of - clock.month_start::timestamptz) / 86400, 1) as days_elapsed,
        day(last_day(clock.month_start)) as days_in_month,
        spend.spend_mtd_usd / greatest(epoch(clock.as_of - clock.month_start::timestamptz) / 86400, 1)
            * day(last_day(clock.month_start)) as forecast_month_end_usd,
        spend.spend_mtd_usd / nullif(budgets.monthly_usd, 0) as share_used,
        spend.spend_mtd_usd / greatest(epoch(clock.as_of - clock.month_start::timestamptz) / 86400, 1)
            * day(last_day(clock.month_start)) / nullif(budgets.monthly_usd, 0) as forecast_share,
        budgets.warn_at,
        case
            when spend.spend_mtd_usd >= budgets.monthly_usd then 'over'
            when spend.spend_mtd_usd >= budgets.warn_at * budgets.monthly_usd then 'warning'
            when spend.spend_mtd_usd / greatest(epoch(clock.as_of - clock.month_start::timestamptz) / 86400, 1)
                * day(last_day(clock.month_start)) > budgets.monthly_usd then 'at_risk'
            else 'ok'
        end as status
    from budgets
    cross join clock
    inner join spend on spend.budget_name = budgets.budget_name
)

select * from final
