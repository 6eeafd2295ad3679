"""The performance report: slow and heavy steps, duration trends and regressions, queue wait and capacity."""

from __future__ import annotations

from reports import charts
from reports.kinds.common import P95_MOVE, STEP_P95_NOTE, TOP, changes_section, headline, metric, moved_jobs
from reports.model import Column, Metric, Section, Table
from reports.warehouse import ReportQueries

TITLE = "Performance"


def build(q: ReportQueries) -> list[Section]:
    return [_headline(q), changes_section(q), _durations(q), _steps(q), _capacity(q)]


def _headline(q: ReportQueries) -> Section:
    now, before = headline(q)
    peaks = q.rows("capacity")
    return Section("Headline", [
        metric("p95 run duration", "p95_duration_s", "seconds", now, before, "down"),
        metric("p95 queue wait", "p95_queue_wait_s", "seconds", now, before, "down"),
        metric("Runs", "runs", "int", now, before),
        Metric("Peak concurrent runs", max((r["peak_concurrency"] for r in peaks), default=None), "int"),
    ], intro=f"Compared with {q.previous.label}.")


def _durations(q: ReportQueries) -> Section:
    trend = charts.daily_lines(
        "p95 run duration per day by job type", q.rows("daily_durations"), "p95_duration_s", "p95 duration (s)",
        "job_type", "Job type", axis_format=",.0f",
    )
    regressions = Table(
        "Duration regressions",
        (Column("job_name", "Job"), Column("runs", "Runs", "int"), Column("prev_p95_duration_s", "p95 before", "seconds"),
         Column("p95_duration_s", "p95 now", "seconds"), Column("p95_change", "Change", "change"),
         Column("last_run_id", "Latest run", "run")),
        [r for r in moved_jobs(q) if (r["p95_change"] or 0) >= P95_MOVE],
        f"No job's p95 duration grew by {P95_MOVE:.0%} or more.",
    )
    step_trends = Table(
        "Steps getting slower (last 7 days against the 7 before)",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("prev_p95_duration_s", "p95 before", "seconds"), Column("p95_duration_s", "p95 now", "seconds"),
         Column("p95_change", "Change", "change"), Column("share_of_run_time", "Share of run time", "pct")),
        q.rows("step_trends", min_change=P95_MOVE, limit=TOP), f"No step's p95 duration grew by {P95_MOVE:.0%} or more.",
        note="From agg_step_performance as of the warehouse's latest refresh.",
    )
    return Section("Durations", [b for b in (trend, regressions, step_trends) if b])


def _steps(q: ReportQueries) -> Section:
    rows = q.rows("steps")
    slow = Table(
        "Slowest steps",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("p50_duration_s", "p50", "seconds"), Column("p95_duration_s", "p95", "seconds"),
         Column("max_duration_s", "Max", "seconds"), Column("share_of_job_time", "Share of job time", "pct")),
        _top(rows, "p95_duration_s"),
        note=STEP_P95_NOTE if q.period.days > 1 else "",
    )
    heavy = Table(
        "Heaviest steps",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("max_peak_rss_mb", "Peak memory", "mb"), Column("avg_peak_rss_mb", "Mean peak memory", "mb"),
         Column("avg_cpu_s", "CPU per attempt", "seconds"), Column("total_cpu_s", "CPU total", "seconds")),
        _top(rows, "max_peak_rss_mb"),
    )
    return Section("Steps", [slow, heavy])


def _top(rows: list[dict], key: str) -> list[dict]:
    ranked = [r for r in rows if r[key] is not None]
    return sorted(ranked, key=lambda r: (-r[key], r["job_name"], r["step_key"]))[:TOP]


def _capacity(q: ReportQueries) -> Section:
    queue = charts.daily_lines(
        "p95 queue wait per day by job type", q.rows("daily_durations"), "p95_queue_wait_s", "p95 queue wait (s)",
        "job_type", "Job type", axis_format=",.0f",
    )
    volume = q.rows("volume_forecast")
    actual = [r for r in volume if r["series"] == "actual"]
    forecast = [r for r in volume if r["series"] == "forecast"]
    blocks = [b for b in (queue, charts.forecast_lines("Runs per day and the 30-day forecast", actual, forecast)) if b]
    if forecast:
        blocks.insert(0, Metric(f"Forecast runs on {forecast[-1]['day']:%d %b}", forecast[-1]["runs"], "int"))
    rows = q.rows("capacity")
    peaks = charts.daily_bars("Peak concurrent runs per day", rows, "peak_concurrency", "Peak concurrent runs") or Table(
        "Peak concurrency", (Column("day", "Day", "date"), Column("peak_concurrency", "Peak concurrent runs", "int"),
                             Column("peak_queued", "Peak queued runs", "int")), rows,
        "agg_capacity keeps the last 28 days; this period is older.",
    )
    intro = "Capacity is shared by every team: these figures cover all jobs." if q.team else ""
    return Section("Queue and capacity", blocks + [peaks], intro)
