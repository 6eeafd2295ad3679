"""The connection every history command reads through: the warehouse plus the lake views.

``open_history(home)`` opens ``warehouse.duckdb`` read-only (an in-memory database when
there is no warehouse yet) and adds a view per lake table. ``ensure_models`` makes model
tables such as ``fct_runs`` resolvable even before any refresh: a model the warehouse
lacks becomes a temporary view built from the same ``sql/*.sql`` files the refresh
runs, over the lake views. One definition of a run, whichever way it is read. The
connection has the macros model SQL calls (``utc_date``, ``seconds_between``).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

import duckdb

from pipelines.duckdb_files import connect_file
from pipelines.errors import JoblensError
from pipelines.home import Home
from pipelines.lake import reader
from pipelines.models.warehouse import WAREHOUSE_WAIT_S, define_macros

RUN_COLUMNS = ("run_id", "job_name", "job_type", "status", "trigger", "trigger_source", "queued_at", "started_at",
               "duration_s", "queue_wait_s", "step_count", "step_retries", "cost_usd", "error_code")
# What `jobs list` leaves out first on a narrow console, in this order.
RUN_COLUMNS_NARROW_OMIT = ("trigger_source", "started_at", "queue_wait_s", "step_count", "trigger", "job_type",
                           "step_retries", "cost_usd")


@contextmanager
def open_history(home: Home, days: set[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection: warehouse tables plus lake views (limited to ``days``)."""
    if home.warehouse.exists():
        try:
            con = connect_file(home.warehouse, read_only=True, wait_s=WAREHOUSE_WAIT_S)
        except duckdb.Error as exc:
            raise JoblensError(f"cannot open warehouse {home.warehouse}: {one_line(exc)}") from None
    else:
        con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        define_macros(con)  # model SQL calls them; ad-hoc SQL may too
        reader.connect(home.lake, con=con, days=days)
        yield con
    finally:
        con.close()


def one_line(exc: BaseException) -> str:
    """DuckDB's message on one line (its messages carry the SQL context on further lines)."""
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip())


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "select count(*) from duckdb_tables() where not temporary and schema_name = 'main' and table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


def ensure_models(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Make each model in ``names`` queryable: the warehouse table, else a temp view over the lake."""
    from pipelines.models import seeds
    from pipelines.models.catalog import SEED_TABLES, load_catalog

    catalog = load_catalog()
    wanted = [n for n in names if not has_table(con, n)]
    if not wanted:
        return
    unknown = [n for n in wanted if n not in catalog.models and n not in SEED_TABLES]
    if unknown:
        raise JoblensError(f"unknown table {unknown[0]!r}: neither a lake table nor a model")
    for name, table in seeds.seed_tables().items():
        if name in SEED_TABLES and not has_table(con, name):
            con.register(name, table)
    for name in catalog.closure({n for n in wanted if n in catalog.models}):
        if not has_table(con, name):
            con.execute(f"create or replace temp view {name} as\n{catalog.models[name].sql}")


def parse_moment(text: str, option: str, end_of_day: bool = False, now: datetime | None = None) -> datetime:
    """``7d`` / ``24h`` / ``30m`` ago, an ISO date (its start, or its end with ``end_of_day``) or an ISO time."""
    now = now or datetime.now(timezone.utc)
    raw = text.strip()
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if raw[:-1].isdigit() and raw[-1:] in units:
        return now - timedelta(**{units[raw[-1]]: int(raw[:-1])})
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise JoblensError(f"{option}: {text!r} is not a date (2026-03-10), a time (2026-03-10T12:00) or an age (7d, 24h)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if end_of_day and len(raw) == 10:
        moment += timedelta(days=1)
    return moment


def list_runs(con: duckdb.DuckDBPyConnection, status: str | None = None, job_type: str | None = None,
              since: datetime | None = None, until: datetime | None = None, search: str | None = None,
              limit: int = 50) -> duckdb.DuckDBPyConnection:
    """The newest runs matching every filter given (a cursor over ``RUN_COLUMNS``)."""
    ensure_models(con, ["fct_runs"])
    pattern = None if search is None else f"%{search}%"
    return con.execute(
        f"""
        select {", ".join(RUN_COLUMNS)}
        from fct_runs
        where ($status is null or status = $status)
          and ($job_type is null or job_type = $job_type)
          and ($since is null or queued_at >= $since)
          and ($until is null or queued_at < $until)
          and ($pattern is null or job_name ilike $pattern or trigger_source ilike $pattern)
        order by queued_at desc, run_id
        limit $limit
        """,
        {"status": status, "job_type": job_type, "since": since, "until": until, "pattern": pattern, "limit": limit},
    )


def resolve_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """The full id of the run ``run_id`` names (an id or a unique prefix of one)."""
    found = [r[0] for r in con.execute(
        "select distinct run_id from runs where starts_with(run_id, ?) order by run_id limit 2", [run_id]).fetchall()]
    if not found:
        raise JoblensError(f"no run {run_id!r} in the record")
    if len(found) > 1 and run_id not in found:
        raise JoblensError(f"run id {run_id!r} is ambiguous (matches {found[0]} and {found[1]})")
    return run_id if run_id in found else found[0]


def run_days(con: duckdb.DuckDBPyConnection, run_id: str, lake) -> set[str] | None:
    """The lake days holding the run's rows: from its first transition to its last (or on, if unfinished)."""
    first, last, finished = con.execute(
        "select min(ts)::date, max(ts)::date, bool_or(status in ('completed', 'failed', 'cancelled')) from runs where run_id = ?",
        [run_id]).fetchall()[0]
    return reader.day_set(first, last if finished else None, lake)


# Sections of one run's record: (name, SQL with $run_id, models it needs).
RUN_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("run", "select * from fct_runs where run_id = $run_id", ("fct_runs",)),
    ("timeline", """
        select ts, status, dagster_event, message from runs where run_id = $run_id
        order by ts, list_position(['queued', 'preparing', 'running', 'completed', 'failed', 'cancelled'], status)""", ()),
    ("steps", """
        select step_key, attempt, status, started_at, ended_at, duration_s, wait_before_s, cpu_s, peak_rss_mb,
               input_tokens, output_tokens, cost_usd, error_code
        from fct_steps where run_id = $run_id order by coalesce(started_at, ended_at), step_key, attempt""", ("fct_steps",)),
    ("errors", """
        select ts, step_key, attempt, error_code, error_class, transient, message, signature, stack_trace
        from errors where run_id = $run_id order by ts""", ()),
    ("logs", """
        select ts, level, kind, step_key, message, fields, redacted_fields
        from logs where run_id = $run_id order by ts limit 500""", ()),
    ("snapshots", """
        select ts, kind, name, step_key, row_count, byte_count, content_hash, preview, redacted_fields
        from snapshots where run_id = $run_id order by ts""", ()),
    ("model_calls", """
        select step_key, provider, model, operation, count(*) as calls,
               count(*) filter (where outcome <> 'ok') as failed_calls,
               sum(input_tokens) as input_tokens, sum(cached_input_tokens) as cached_input_tokens,
               sum(output_tokens) as output_tokens, sum(cost_usd) as cost_usd
        from int_model_call_costs where run_id = $run_id
        group by all order by min(ts)""", ("int_model_call_costs",)),
    ("resources", """
        select step_key, count(*) as samples, max(cpu_percent) as max_cpu_percent, max(cpu_s) as cpu_s,
               max(rss_mb) as max_rss_mb
        from resource_samples where run_id = $run_id group by step_key order by min(ts)""", ()),
)


def run_record(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every section of the run's record as (columns, rows); errors gain their code's remediation."""
    from pipelines.telemetry.taxonomy import ERROR_CODES

    ensure_models(con, sorted({m for _, _, models in RUN_SECTIONS for m in models}))
    record = {}
    for name, sql, _ in RUN_SECTIONS:
        cursor = con.execute(sql, {"run_id": run_id})
        record[name] = ([d[0] for d in cursor.description], cursor.fetchall())
    columns, rows = record["errors"]
    code_at = columns.index("error_code")
    remedy = [(ERROR_CODES[r[code_at]].remediation, ERROR_CODES[r[code_at]].doc_url) if r[code_at] in ERROR_CODES
              else (None, None) for r in rows]
    record["errors"] = (columns + ["remediation", "doc_url"], [tuple(r) + extra for r, extra in zip(rows, remedy)])
    return record
