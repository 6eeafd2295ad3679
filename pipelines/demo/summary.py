"""Phase 5: what the demo made, read back from the warehouse and the lake.

``DemoSummary`` is plain data (``to_dict``/``from_dict`` round-trip through JSON): the CLI
prints it as a table or as JSON, the end-to-end tests compare it with the warehouse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from pipelines.home import Home

SQL_EXAMPLE = ("select job_name, status, count(*) as runs from fct_runs "
               "where day >= current_date - 7 group by all order by runs desc limit 10")


@dataclass
class DemoSummary:
    """The outcome of one ``joblens demo``."""

    home: str
    seconds: float = 0.0
    history: dict = field(default_factory=dict)  # seed, days, runs_per_day, start, end, runs, simulated_now
    real_runs: list[dict] = field(default_factory=list)  # this demo's runs: run_id, job_name, job_type, role, expected, status
    demo_runs_captured: list[dict] = field(default_factory=list)  # every demo's runs in fct_runs: job_type, status, runs
    runs_by_type_status: list[dict] = field(default_factory=list)  # all of fct_runs: job_type, status, runs
    runs_total: int = 0
    success_rate: float | None = None  # completed / (completed + failed), all runs
    cost_usd: float = 0.0
    top_failure_pattern: dict | None = None
    models_materialized: int = 0
    failed_checks: list[str] = field(default_factory=list)
    lake_rows: dict[str, int] = field(default_factory=dict)
    report_period: str = ""
    reports: dict[str, dict[str, str]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, str]] = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)  # evaluations, firing, run_failures, sent, queued, errors, channel_file
    next_steps: dict[str, str] = field(default_factory=dict)  # command → what it does

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "DemoSummary":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


def warehouse_figures(home: Home) -> dict:
    """Runs by type and status, success rate, cost and the top failure pattern, from the models."""
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        by_status = _records(con, "select job_type, status, count(*) as runs from fct_runs group by all order by all")
        demo_runs = _records(con, "select job_type, status, count(*) as runs from fct_runs "
                                  "where trigger_source = ? group by all order by all", ["joblens demo"])
        rate = con.execute("select count(*) filter (where status = 'completed') "
                           "/ nullif(count(*) filter (where status in ('completed', 'failed')), 0) from fct_runs").fetchone()[0]
        cost = con.execute("select coalesce(sum(cost_usd), 0) from agg_cost_daily").fetchone()[0]
        top = _records(con, "select signature, error_code, error_class, sample_message, remediation, occurrences, "
                            "runs_affected, jobs_affected from failure_patterns "
                            "order by occurrences desc, signature limit 1")
    return {
        "runs_by_type_status": by_status,
        "demo_runs_captured": demo_runs,
        "runs_total": sum(r["runs"] for r in by_status),
        "success_rate": None if rate is None else float(rate),
        "cost_usd": float(cost),
        "top_failure_pattern": top[0] if top else None,
    }


def lake_rows(home: Home) -> dict[str, int]:
    """Rows per lake table, as every reader sees them (de-duplicated by id)."""
    from pipelines.lake.reader import connect
    from pipelines.lake.schema import TABLES

    con = connect(home.lake)
    try:
        return {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in TABLES}
    finally:
        con.close()


def next_steps() -> dict[str, str]:
    return {
        "joblens ui": "the Dagster UI on this instance: runs, the model, report and alert assets, schedules",
        f'joblens sql "{SQL_EXAMPLE}"': "SQL on the warehouse (a view per lake table too)",
        "joblens jobs list --status failed": "the job history; `joblens jobs show RUN_ID` for one run's whole record",
        "joblens alerts list": "the alerts firing now",
    }


def _records(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row)} for row in cursor.fetchall()]


def _plain(value):
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
