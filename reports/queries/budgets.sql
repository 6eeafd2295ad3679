-- Monthly budgets as the warehouse last computed them (the month of its as-of time); a team
-- sees the budgets that name it and those of its jobs.
select budget_name, scope, match, month, budget_usd, spend_mtd_usd, share_used,
       forecast_month_end_usd, forecast_share, status
from budget_status
where $team::varchar is null
   or (scope = 'team' and $team glob match)
   or (scope = 'job' and exists (select 1 from agg_job_daily j where j.team = $team and j.job_name glob match))
order by share_used desc nulls last, budget_name
