-- Per job and step in the current period, from agg_step_daily: durations, share of the job's
-- step time, memory and CPU. The report ranks the slowest and the heaviest from it. p50 and
-- p95 over more than one day are the attempt-weighted mean of the daily values (exact for
-- one day); the means of CPU and memory are exact.
with by_step as (
    select
        job_name, step_key,
        sum(attempts) as attempts,
        sum(p50_duration_s * attempts) / nullif(sum(attempts) filter (p50_duration_s is not null), 0) as p50_duration_s,
        sum(p95_duration_s * attempts) / nullif(sum(attempts) filter (p95_duration_s is not null), 0) as p95_duration_s,
        max(max_duration_s) as max_duration_s,
        sum(total_duration_s) as total_s,
        max(max_peak_rss_mb) as max_peak_rss_mb,
        sum(avg_peak_rss_mb * memory_attempts) / nullif(sum(memory_attempts), 0) as avg_peak_rss_mb,
        sum(total_cpu_s) / nullif(sum(cpu_attempts), 0) as avg_cpu_s,
        sum(total_cpu_s) filter (cpu_attempts > 0) as total_cpu_s
    from agg_step_daily
    where day >= $start and day < $end
      and ($team::varchar is null or job_name in (select job_name from agg_job_daily where team = $team))
    group by job_name, step_key
)

select
    job_name, step_key, attempts, p50_duration_s, p95_duration_s,
    max_duration_s, total_s, max_peak_rss_mb, avg_peak_rss_mb, avg_cpu_s, total_cpu_s,
    total_s / nullif(sum(total_s) over (partition by job_name), 0) as share_of_job_time
from by_step
