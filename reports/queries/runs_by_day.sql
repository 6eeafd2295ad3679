-- Runs per day and final status in the current period.
select day, status, count(*) as runs
from report_runs
where is_current
group by day, status
order by day, status
