"""The reliability report: success by job and type, failure patterns, new errors, retries, MTTR."""

from __future__ import annotations

from reports import charts
from reports.kinds.common import TOP, changes_section, headline, jobs_table, metric, signatures
from reports.model import Column, Metric, Section, Table
from reports.warehouse import ReportQueries

TITLE = "Reliability"


def build(q: ReportQueries) -> list[Section]:
    return [_headline(q), changes_section(q), _success(q), _patterns(q), _retries(q), _recovery(q)]


def mean_time_to_recover(rows: list[dict]) -> float | None:
    """MTTR over every recovered incident of the period (a mean of the per-job means, weighted)."""
    recovered = sum(r["recovered"] for r in rows)
    if not recovered:
        return None
    return sum(r["mttr_s"] * r["recovered"] for r in rows if r["recovered"]) / recovered


def _headline(q: ReportQueries) -> Section:
    now, before = headline(q)
    incidents = q.rows("mttr")
    return Section("Headline", [
        metric("Success rate", "success_rate", "pct", now, before, "up"),
        metric("Failed runs", "failed", "int", now, before, "down"),
        metric("Step retries", "retries", "int", now, before, "down"),
        Metric("Incidents", sum(r["incidents"] for r in incidents), "int"),
        Metric("Mean time to recover", mean_time_to_recover(incidents), "seconds"),
    ], intro=f"Compared with {q.previous.label}.")


def _success(q: ReportQueries) -> Section:
    by_type = Table(
        "Success rate by job type",
        (Column("job_type", "Job type"), Column("runs", "Runs", "int"), Column("success_rate", "Success rate", "pct"),
         Column("prev_success_rate", "Previous", "pct"), Column("success_change", "Change", "points")),
        q.rows("job_types"),
    )
    trend = charts.daily_lines(
        "Success rate per day by job type", q.rows("daily_success"), "success_rate", "Success rate (%)",
        "job_type", "Job type", axis_format=".0%",
    )
    return Section("Success", [b for b in (trend, by_type, jobs_table(q, "Success rate by job", "success_rate")) if b])


def _patterns(q: ReportQueries) -> Section:
    rows = signatures(q)[:TOP]
    patterns = Table(
        "Failure patterns",
        (Column("signature", "Signature"), Column("error_code", "Code"), Column("error_class", "Class", "prose"),
         Column("transient", "Transient", "bool"), Column("occurrences", "Runs", "int"),
         Column("sample_message", "Message", "prose"), Column("remediation", "What to do", "prose")),
        rows, "No run failed in this period.",
    )
    new = Table(
        "New errors",
        (Column("signature", "Signature"), Column("error_code", "Code"), Column("sample_message", "Message", "prose"),
         Column("first_seen", "First seen", "datetime"), Column("last_job_name", "Job"), Column("last_run_id", "Latest run", "run")),
        [r for r in rows if r["is_new"]], "No error signature appeared for the first time in this period.",
    )
    return Section("Failure patterns", [patterns, new])


def _retries(q: ReportQueries) -> Section:
    table = Table(
        "Retry economics",
        (Column("job_name", "Job"), Column("error_code", "Code"), Column("failed_attempts", "Failed attempts", "int"),
         Column("retries", "Retries", "int"), Column("retry_success_rate", "Retries that succeeded", "pct"),
         Column("failed_attempt_s", "Time in failed attempts", "seconds"),
         Column("failed_attempt_cost_usd", "Cost of failed attempts", "usd")),
        q.rows("retries", limit=TOP), "No step attempt failed in this period.",
    )
    return Section("Retries", [table])


def _recovery(q: ReportQueries) -> Section:
    table = Table(
        "Time to recover by job",
        (Column("job_name", "Job"), Column("incidents", "Incidents", "int"), Column("recovered", "Recovered", "int"),
         Column("mttr_s", "Mean time to recover", "seconds"), Column("max_ttr_s", "Longest", "seconds")),
        q.rows("mttr"), "No job failed in this period.",
        note="An incident starts at a job's first failed run after a success and ends at its next successful run.",
    )
    return Section("Recovery", [table])
