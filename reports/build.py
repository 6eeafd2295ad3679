"""From the warehouse to a report's data model: the period's queries, then each kind's sections."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

import duckdb

from reports.errors import ReportError
from reports.kinds import cost, performance, reliability, summary
from reports.model import Coverage, Note, Report, Section
from reports.period import Period
from reports.warehouse import REQUIRED_TABLES, ReportQueries, missing_tables

KINDS: dict[str, ModuleType] = {
    "summary": summary,
    "reliability": reliability,
    "performance": performance,
    "cost": cost,
}
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"


def build_report(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    period: Period,
    generated_at: datetime,
    team: str | None = None,
    dagster_url: str = DEFAULT_DAGSTER_URL,
) -> Report:
    """The report of ``kind`` over ``period`` from the warehouse behind ``con``."""
    module = _kind(kind)
    _check_tables(con)
    con.execute("set timezone = 'UTC'")
    q = ReportQueries(con, period, period.previous(), team)
    coverage = _coverage(q)
    title = f"JobLens {module.TITLE.lower()} report" + (f" — team {team}" if team else "")
    report = Report(title, kind, period, generated_at, coverage, [], team, dagster_url, q.previous)
    if coverage.runs_in_period == 0:
        report.empty = True
        report.sections = [_empty_section(q)]
        return report
    report.sections = module.build(q)
    return report


def _kind(kind: str) -> ModuleType:
    try:
        return KINDS[kind]
    except KeyError:
        raise ReportError(f"unknown report kind {kind!r}; kinds are: {', '.join(KINDS)}") from None


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    missing = missing_tables(con, REQUIRED_TABLES)
    if missing:
        raise ReportError(f"the warehouse has no table {', '.join(missing)}; run `joblens refresh` first")


def _coverage(q: ReportQueries) -> Coverage:
    row = q.one("coverage")
    counts = {name: int(row[name]) for name in ("fct_runs", "fct_steps", "agg_cost_daily", "failure_patterns")}
    current = next((r for r in q.rows("period_totals") if r["is_current"]), {})
    return Coverage(counts, row["latest_event_at"], int(current.get("runs") or 0))


def _empty_section(q: ReportQueries) -> Section:
    scope = f" for team {q.team}" if q.team else ""
    previous = next((r for r in q.rows("period_totals") if not r["is_current"]), {})
    before = f" In the previous period ({q.previous.label}), {previous['runs']:,} runs finished." if previous.get("runs") else ""
    return Section("No jobs ran in this period", [
        Note(f"No jobs ran in this period{scope}: no run finished between {q.period.start:%d %b %Y} and {q.period.last_day:%d %b %Y}.{before}", "empty"),
    ])
