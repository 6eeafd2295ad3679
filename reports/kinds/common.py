"""Blocks several report kinds share: headline numbers, the jobs table, what changed."""

from __future__ import annotations

from typing import Any

from reports.model import Column, Metric, Note, Section, Table
from reports.warehouse import ReportQueries

TOP = 10
# What counts as a significant move between two periods.
SUCCESS_MOVE = 0.10  # ten percentage points
P95_MOVE = 0.25  # a quarter longer or shorter
MIN_RUNS = 3  # fewer runs than this in either period say nothing about a rate
P95_NOTE = "p95 over more than one day: the run-weighted mean of the daily p95 (agg_job_daily)."
STEP_P95_NOTE = "p50 and p95 over more than one day: the attempt-weighted mean of the daily p50 and p95 (agg_step_daily)."


def headline(q: ReportQueries) -> tuple[dict[str, Any], dict[str, Any]]:
    """The current and previous period's totals and overall percentiles (empty dict when nothing ran)."""
    totals = {r["is_current"]: r for r in q.rows("period_totals")}
    return totals.get(True, {}), totals.get(False, {})


def jobs(q: ReportQueries) -> list[dict[str, Any]]:
    """One row per job that ran in the current period, the previous period's numbers beside it."""
    totals = {(r["job_name"], r["is_current"]): r for r in q.rows("jobs_totals")}
    current_days = [r["last_day"] for (_, current), r in totals.items() if current]
    latest = {r["job_name"]: r for r in q.rows("latest_runs", since=min(current_days))} if current_days else {}
    rows = []
    for (name, current), now in totals.items():
        if not current:
            continue
        before = totals.get((name, False), {})
        rows.append({
            **now, "prev_runs": before.get("runs"), "prev_success_rate": before.get("success_rate"),
            "success_change": _delta(now["success_rate"], before.get("success_rate")),
            "prev_p95_duration_s": before.get("p95_duration_s"),
            "p95_change": _ratio(now["p95_duration_s"], before.get("p95_duration_s")),
            "prev_cost_usd": before.get("cost_usd"), **latest.get(name, {"last_run_id": None, "last_status": None}),
        })
    return sorted(rows, key=lambda r: (-r["runs"], r["job_name"]))


def signatures(q: ReportQueries) -> list[dict[str, Any]]:
    """The period's error signatures, most frequent first (one query shared by every section)."""
    return q.rows("signatures", limit=50)


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _ratio(now: float | None, before: float | None) -> float | None:
    return None if now is None or not before else now / before - 1


def metric(label: str, key: str, fmt: str, current: dict, previous: dict, better: str | None = None) -> Metric:
    return Metric(label, current.get(key), fmt, previous.get(key), better)


def jobs_table(q: ReportQueries, title: str = "Jobs", order: str | None = None) -> Table:
    rows = jobs(q)
    if order:
        rows = sorted(rows, key=lambda r: (r[order] is None, r[order] if r[order] is not None else 0, r["job_name"]))
    return Table(
        title,
        (
            Column("job_name", "Job"),
            Column("job_type", "Type"),
            Column("runs", "Runs", "int"),
            Column("failed", "Failed", "int"),
            Column("success_rate", "Success rate", "pct"),
            Column("success_change", "vs previous", "points"),
            Column("p95_duration_s", "p95 duration", "seconds"),
            Column("p95_change", "vs previous", "change"),
            Column("cost_usd", "Cost", "usd"),
            Column("last_run_id", "Latest run", "run"),
        ),
        rows,
        note=P95_NOTE if q.period.days > 1 else "",
    )


def moved_jobs(q: ReportQueries) -> list[dict[str, Any]]:
    """Jobs whose success rate or p95 duration moved significantly since the previous period."""
    moved = []
    for row in jobs(q):
        if (row["runs"] or 0) < MIN_RUNS or (row["prev_runs"] or 0) < MIN_RUNS:
            continue
        success = row["success_change"] is not None and abs(row["success_change"]) >= SUCCESS_MOVE
        p95 = row["p95_change"] is not None and abs(row["p95_change"]) >= P95_MOVE
        if success or p95:
            moved.append(row)
    return moved


def changes_section(q: ReportQueries) -> Section:
    """What changed since the last report of this kind, i.e. since the previous period."""
    new = [r for r in signatures(q) if r["is_new"]]
    moved = moved_jobs(q)
    costs = [r for r in q.rows("cost_by_model") if abs(r["cost_delta_usd"]) >= 0.005]
    section = Section("What changed since the last report", intro=f"Compared with {q.previous.label}.")
    if not (new or moved or costs):
        section.blocks.append(Note("No new error signatures, no job whose success rate or p95 duration moved significantly, no cost change by model."))
        return section
    section.blocks.append(Table(
        "New error signatures",
        (Column("signature", "Signature"), Column("error_code", "Code"), Column("sample_message", "Message", "prose"),
         Column("occurrences", "Runs", "int"), Column("first_seen", "First seen", "datetime"), Column("last_run_id", "Latest run", "run")),
        new, "No error signature appeared for the first time.",
    ))
    section.blocks.append(Table(
        "Jobs that moved",
        (Column("job_name", "Job"), Column("prev_success_rate", "Success before", "pct"), Column("success_rate", "Success now", "pct"),
         Column("prev_p95_duration_s", "p95 before", "seconds"), Column("p95_duration_s", "p95 now", "seconds"),
         Column("p95_change", "p95 change", "change"), Column("last_run_id", "Latest run", "run")),
        moved, f"No job's success rate moved by {SUCCESS_MOVE:.0%} points or p95 duration by {P95_MOVE:.0%}.",
    ))
    section.blocks.append(Table(
        "Cost by model",
        (Column("provider", "Provider"), Column("model", "Model"), Column("prev_cost_usd", "Before", "usd"),
         Column("cost_usd", "Now", "usd"), Column("cost_delta_usd", "Change", "usd_change")),
        sorted(costs, key=lambda r: -abs(r["cost_delta_usd"])), "No model's cost changed.",
    ))
    return section
