"""The performance report: slow and heavy steps, duration trends and regressions, queue wait and capacity."""

from __future__ import annotations

from datetime import timedelta

from reports import charts
from reports.kinds.common import P95_MOVE, TOP, changes_section, headline, metric, moved_jobs
from reports.model import Column, Metric, Section, Table
from reports.warehouse import ReportQueries

TITLE = "Performance"
FORECAST_DAYS = 30


def build(q: ReportQueries) -> list[Section]:
    return [_headline(q), changes_section(q), _durations(q), _steps(q), _capacity(q)]


def linear_forecast(history: list[dict], days: int = FORECAST_DAYS) -> list[dict]:
    """Least-squares line through runs per day, continued ``days`` ahead (never below zero)."""
    if len(history) < 2:
        return []
    xs = [(r["day"] - history[0]["day"]).days for r in history]
    ys = [float(r["runs"]) for r in history]
    n, mean_x, mean_y = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    var_x = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / var_x if var_x else 0.0
    last = history[-1]["day"]
    return [
        {"day": last + timedelta(days=k), "runs": max(0.0, round(mean_y + slope * (xs[-1] + k - mean_x), 1))}
        for k in range(1, days + 1)
    ]


def _headline(q: ReportQueries) -> Section:
    now, before = headline(q)
    peaks = q.rows("concurrency")
    return Section("Headline", [
        metric("p95 run duration", "p95_duration_s", "seconds", now, before, "down"),
        metric("p95 queue wait", "p95_queue_wait_s", "seconds", now, before, "down"),
        metric("Runs", "runs", "int", now, before),
        Metric("Peak concurrent runs", max((r["peak_concurrency"] for r in peaks), default=None), "int"),
    ], intro=f"Compared with {q.previous.label}.")


def _durations(q: ReportQueries) -> Section:
    trend = charts.daily_lines(
        "p95 run duration per day by job type", q.rows("daily_series"), "p95_duration_s", "p95 duration (s)",
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
    return Section("Durations", [b for b in (trend, regressions) if b])


def _steps(q: ReportQueries) -> Section:
    slow = Table(
        "Slowest steps",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("p50_duration_s", "p50", "seconds"), Column("p95_duration_s", "p95", "seconds"),
         Column("max_duration_s", "Max", "seconds"), Column("p95_change", "p95 vs previous", "change"),
         Column("share_of_job_time", "Share of job time", "pct")),
        q.rows("slow_steps", limit=TOP),
    )
    heavy = Table(
        "Heaviest steps",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("max_peak_rss_mb", "Peak memory", "mb"), Column("p95_peak_rss_mb", "p95 memory", "mb"),
         Column("avg_cpu_s", "CPU per attempt", "seconds"), Column("total_cpu_s", "CPU total", "seconds")),
        q.rows("heavy_steps", limit=TOP),
    )
    return Section("Steps", [slow, heavy])


def _capacity(q: ReportQueries) -> Section:
    queue = charts.daily_lines(
        "p95 queue wait per day by job type", q.rows("daily_series"), "p95_queue_wait_s", "p95 queue wait (s)",
        "job_type", "Job type", axis_format=",.0f",
    )
    history = q.rows("volume_history")
    forecast = linear_forecast(history)
    blocks = [b for b in (queue, charts.forecast_lines(f"Runs per day and {FORECAST_DAYS}-day forecast", history, forecast)) if b]
    if forecast:
        blocks.insert(0, Metric(f"Forecast runs per day in {FORECAST_DAYS} days", forecast[-1]["runs"], "int"))
    rows = q.rows("concurrency")
    peaks = charts.daily_bars("Peak concurrent runs per day", rows, "peak_concurrency", "Peak concurrent runs") or Table(
        "Peak concurrency", (Column("day", "Day", "date"), Column("peak_concurrency", "Peak concurrent runs", "int")), rows
    )
    return Section("Queue and capacity", blocks + [peaks])
