-- The heaviest steps of the current period: peak memory and CPU time.
select
    job_name, step_key,
    count(*) as attempts,
    max(peak_rss_mb) as max_peak_rss_mb,
    quantile_cont(peak_rss_mb, 0.95) as p95_peak_rss_mb,
    avg(cpu_s) as avg_cpu_s,
    sum(cpu_s) as total_cpu_s
from report_steps
where is_current
group by job_name, step_key
order by max_peak_rss_mb desc nulls last, job_name, step_key
limit $limit
