"""The summary report: volume, success, failures, top errors, cost and p95, against the previous period."""

from __future__ import annotations

from reports import charts
from reports.kinds.common import TOP, changes_section, headline, jobs_table, metric, signatures
from reports.model import Column, Section, Table
from reports.warehouse import ReportQueries

TITLE = "Summary"


def build(q: ReportQueries) -> list[Section]:
    return [_headline(q), changes_section(q), _volume(q), _errors(q), Section("Jobs", [jobs_table(q)])]


def _headline(q: ReportQueries) -> Section:
    now, before = headline(q)
    return Section("Headline", [
        metric("Runs", "runs", "int", now, before),
        metric("Success rate", "success_rate", "pct", now, before, "up"),
        metric("Failed runs", "failed", "int", now, before, "down"),
        metric("Model cost", "cost_usd", "usd", now, before, "down"),
        metric("p95 run duration", "p95_duration_s", "seconds", now, before, "down"),
        metric("p95 queue wait", "p95_queue_wait_s", "seconds", now, before, "down"),
    ], intro=f"Compared with {q.previous.label}.")


def _volume(q: ReportQueries) -> Section:
    rows = q.rows("runs_by_day")
    chart = charts.daily_stacked_bars("Runs per day by status", rows, "runs", "Runs", "status", "Status")
    block = chart or Table("Runs by status", (Column("day", "Day", "date"), Column("status", "Status"), Column("runs", "Runs", "int")), rows)
    return Section("Volume", [block])


def _errors(q: ReportQueries) -> Section:
    by_signature = Table(
        "Top error signatures",
        (Column("signature", "Signature"), Column("error_code", "Code"), Column("sample_message", "Message", "prose"),
         Column("occurrences", "Runs", "int"), Column("prev_occurrences", "Previous", "int"),
         Column("jobs_affected", "Jobs", "int"), Column("last_run_id", "Latest run", "run")),
        signatures(q)[:TOP], "No run failed in this period.",
    )
    failed = Table(
        "Latest failed runs",
        (Column("run_id", "Run", "run"), Column("job_name", "Job"), Column("ended_at", "Ended", "datetime"),
         Column("error_code", "Code"), Column("sample_message", "Message", "prose")),
        q.rows("failed_runs", limit=TOP), "No run failed in this period.",
    )
    return Section("Failures", [by_signature, failed])
