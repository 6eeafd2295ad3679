"""The cost report: by model, job and day; budgets and month-end forecast; expensive steps; waste."""

from __future__ import annotations

import calendar

from reports import charts
from reports.kinds.common import TOP, changes_section, headline, metric
from reports.model import Column, Metric, Section, Table
from reports.warehouse import ReportQueries

TITLE = "Cost"


def build(q: ReportQueries) -> list[Section]:
    return [_headline(q), changes_section(q), _breakdown(q), _budgets(q), _optimization(q)]


def month_end_forecast(q: ReportQueries) -> tuple[float | None, float]:
    """Month-to-date spend of the month the period ends in, and a straight-line month-end forecast."""
    mtd = q.one("month_to_date")
    spent = float(mtd.get("spent_usd") or 0.0)
    month = mtd.get("month")
    if month is None:
        return None, spent
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    elapsed = min((q.period.end - month).days, days_in_month)
    return (spent / elapsed * days_in_month if elapsed else None), spent


def wasted(q: ReportQueries, current: bool = True) -> float:
    return sum(r["wasted_usd"] for r in q.rows("wasted_cost") if r["is_current"] == current)


def _headline(q: ReportQueries) -> Section:
    now, before = headline(q)
    forecast, spent = month_end_forecast(q)
    runs_now, runs_before = now.get("runs") or 0, before.get("runs") or 0
    return Section("Headline", [
        metric("Model cost", "cost_usd", "usd", now, before, "down"),
        Metric("Cost per run", (now.get("cost_usd") or 0) / runs_now if runs_now else None, "usd",
               (before.get("cost_usd") or 0) / runs_before if runs_before else None, "down"),
        metric("Tokens", "tokens", "int", now, before),
        Metric("Wasted on failed attempts", wasted(q), "usd", wasted(q, False), "down"),
        Metric(f"Spent 1–{q.period.last_day.day} {q.period.last_day:%B}", spent, "usd"),
        Metric(f"{q.period.last_day:%B} month-end forecast", forecast, "usd"),
    ], intro=f"Compared with {q.previous.label}.")


def _breakdown(q: ReportQueries) -> Section:
    by_day = charts.daily_stacked_bars("Model cost per day by model", q.rows("cost_by_day"), "cost_usd", "Cost (USD)", "model", "Model")
    by_model = Table(
        "Cost by model",
        (Column("provider", "Provider"), Column("model", "Model"), Column("calls", "Calls", "int"),
         Column("input_tokens", "Input tokens", "int"), Column("output_tokens", "Output tokens", "int"),
         Column("cost_usd", "Cost", "usd"), Column("prev_cost_usd", "Previous", "usd"), Column("cost_delta_usd", "Change", "usd_change")),
        [r for r in q.rows("cost_by_model") if r["cost_usd"] or r["calls"]], "No model was called in this period.",
    )
    by_job = Table(
        "Cost by job",
        (Column("job_name", "Job"), Column("calls", "Calls", "int"), Column("tokens", "Tokens", "int"),
         Column("cost_usd", "Cost", "usd"), Column("prev_cost_usd", "Previous", "usd"), Column("cost_change", "Change", "change")),
        q.rows("cost_by_job"), "No job called a model in this period.",
    )
    return Section("Where the money went", [b for b in (by_day, by_model, by_job) if b])


def _budgets(q: ReportQueries) -> Section:
    rows = q.rows("budgets")
    table = Table(
        "Budgets, month to date",
        (Column("budget_name", "Budget"), Column("scope", "Scope"), Column("match", "Applies to"),
         Column("budget_usd", "Monthly", "usd"), Column("spend_mtd_usd", "Spent", "usd"),
         Column("share_used", "Used", "pct"), Column("forecast_month_end_usd", "Forecast", "usd"),
         Column("forecast_share", "Forecast used", "pct"), Column("status", "Status")),
        rows, "No budget is configured (sql/budgets.yaml or $JOBLENS_BUDGETS).",
        note=f"Month to date of {rows[0]['month']:%B %Y}, as of the warehouse's latest refresh." if rows else "",
    )
    return Section("Budgets", [table])


def _optimization(q: ReportQueries) -> Section:
    steps = Table(
        "Most expensive steps",
        (Column("job_name", "Job"), Column("step_key", "Step"), Column("attempts", "Attempts", "int"),
         Column("tokens", "Tokens", "int"), Column("cost_usd", "Cost", "usd"),
         Column("cost_per_attempt_usd", "Per attempt", "usd"), Column("wasted_usd", "In failed attempts", "usd")),
        q.rows("expensive_steps", limit=TOP), "No step called a model in this period.",
        note="Candidates for a cheaper model, smaller prompts or caching.",
    )
    waste = Table(
        "Cost wasted on failed attempts",
        (Column("job_name", "Job"), Column("failed_attempts", "Failed attempts", "int"),
         Column("wasted_usd", "Cost", "usd"), Column("wasted_s", "Time", "seconds")),
        [r for r in q.rows("wasted_cost") if r["is_current"]], "No attempt failed in this period.",
    )
    return Section("Optimization candidates", [steps, waste])
