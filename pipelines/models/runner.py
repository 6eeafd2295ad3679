"""Materializing the models on one refresh connection: full rebuilds and incremental merges.

Full: every model is rebuilt from the whole lake (``create or replace table … as``); the
run-keyed facts first, a few weeks of lake days at a time, into staging tables swapped in
by the refresh's transaction (``chunked.py``).

Incremental, given the lake days that changed:

1. the runs with any event on those days are the runs to recompute; their days in the
   warehouse widen the lake window so each is rebuilt from all of its events;
2. run-keyed models are built as temp tables over that window, then their rows replace
   the warehouse rows of exactly those runs (delete + insert);
3. day-keyed models recompute every day those runs (before and after) or the changed
   lake days fall on, again by delete + insert; ``incremental_from_day`` models (rolling
   windows) recompute every row from ``refresh_from`` on: the earliest of those days, of
   the days those runs were queued and of the day of as_of (before and after);
   windowed table models are rebuilt.

The clock (``int_as_of``) is bound as DuckDB variables (``as_of``, ``as_of_day``,
``refresh_from``) right after it is built, so the models downstream filter by constant
dates and DuckDB skips the row groups of older days instead of scanning whole fact tables
(which are written ordered by day for that reason).

Re-running the same days repeats the same deletes and inserts: idempotent by construction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.lake import reader
from pipelines.models import chunked
from pipelines.models.catalog import CLOCK_MODEL, Catalog, Model
from pipelines.models.state import MODELLED_TABLES
from pipelines.models.warehouse import WAREHOUSE, table_exists

# A run is re-read from at most this many days of lake partitions around its change.
MAX_RUN_SPAN_DAYS = 31
# refresh_from of a full rebuild: before any history.
EPOCH = date(1900, 1, 1)


@dataclass
class ModelResult:
    name: str
    kind: str
    action: str  # view, rebuilt, merged
    rows: int | None
    rows_written: int | None
    seconds: float


def create_views(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> list[ModelResult]:
    results = []
    for name in catalog.order:
        model = catalog.models[name]
        if not model.persisted:
            started = time.perf_counter()
            con.execute(f"create or replace temp view {name} as\n{model.sql}")
            results.append(ModelResult(name, model.kind, "view", None, None, time.perf_counter() - started))
    return results


def stage_full(con: duckdb.DuckDBPyConnection, lake: Path, catalog: Catalog, selected: list[str],
               chunk_bytes: int | None = None) -> list[ModelResult]:
    """Before a full refresh's transaction: build the selected run-keyed facts a few weeks of
    lake days at a time (``chunk_bytes`` of Parquet) into staging tables that ``run_full``
    swaps in. Nothing is staged (and ``run_full`` rebuilds them whole) when the lake is
    one chunk or they read other persisted models."""
    run_keyed = _chunkable(catalog, selected)
    chunks = chunked.plan_chunks(lake, chunk_bytes or chunked.DEFAULT_CHUNK_BYTES) if run_keyed else []
    if len(chunks) < 2:
        return []
    seconds = chunked.build(con, lake, catalog, run_keyed, chunks, create_views)
    return [ModelResult(name, catalog.models[name].kind, "rebuilt", None, None, seconds[name]) for name in run_keyed]


def run_full(con: duckdb.DuckDBPyConnection, lake: Path, catalog: Catalog, selected: list[str],
             staged: list[ModelResult] = ()) -> list[ModelResult]:
    """Rebuild ``selected`` persisted models from the whole lake, in dependency order; the
    ``staged`` ones (``stage_full``) are swapped in instead."""
    reader.connect(lake, con=con, tables=MODELLED_TABLES)
    results = create_views(con, catalog)
    con.execute(f"use {WAREHOUSE}")
    swapped = {r.name: r for r in staged}
    chunked.swap(con, list(swapped))
    _bind_kept_clock(con, selected, EPOCH)
    for name in selected:
        if name in swapped:
            rows = _count(con, f"{WAREHOUSE}.{name}")
            results.append(replace(swapped[name], rows=rows, rows_written=rows))
        else:
            results.append(_rebuild(con, catalog.models[name]))
        if name == CLOCK_MODEL:
            bind_clock(con, EPOCH)
    return results


def _chunkable(catalog: Catalog, selected: list[str]) -> list[str]:
    """The selected run-keyed models, when they read nothing persisted but each other
    (through views): they can then be built first, chunk by chunk; else none."""
    run_keyed = [n for n in selected if catalog.models[n].kind == "incremental_by_run"]

    def reads_only_run_keyed(name: str) -> bool:
        for dep in catalog.upstream_models(name):
            model = catalog.models[dep]
            if model.kind == "view" and not reads_only_run_keyed(dep):
                return False
            if model.kind != "view" and dep not in run_keyed:
                return False
        return True

    return run_keyed if all(reads_only_run_keyed(n) for n in run_keyed) else []


def bind_clock(con: duckdb.DuckDBPyConnection, refresh_from: date | None) -> None:
    """Bind as_of, as_of_day and refresh_from (at the latest as_of_day, whose last hours
    and rolling values move with as_of) as DuckDB variables."""
    as_of, as_of_day = con.execute(f"select as_of, as_of_day from {WAREHOUSE}.{CLOCK_MODEL}").fetchone()
    con.execute("set variable as_of = ?::timestamptz", [as_of])
    con.execute("set variable as_of_day = ?::date", [as_of_day])
    con.execute("set variable refresh_from = ?::date", [min(refresh_from or as_of_day, as_of_day)])


def _bind_kept_clock(con: duckdb.DuckDBPyConnection, selected: list[str], refresh_from: date | None) -> None:
    """A refresh of some models only, without the clock, binds the clock already stored."""
    if CLOCK_MODEL not in selected and table_exists(con, CLOCK_MODEL):
        bind_clock(con, refresh_from)


def _clock_day(con: duckdb.DuckDBPyConnection) -> date | None:
    if not table_exists(con, CLOCK_MODEL):
        return None
    row = con.execute(f"select as_of_day from {WAREHOUSE}.{CLOCK_MODEL}").fetchone()
    return row[0] if row else None


def run_incremental(
    con: duckdb.DuckDBPyConnection, lake: Path, catalog: Catalog, selected: list[str], changed: set[str]
) -> tuple[list[ModelResult], int]:
    """Recompute the runs and days touched by ``changed`` lake days; returns results and run count."""
    horizon = date.fromisoformat(min(changed)) - timedelta(days=MAX_RUN_SPAN_DAYS + 1)
    window = _open_window(con, lake, changed, horizon)
    results = create_views(con, catalog)
    old_days, old_first = _run_days(con, horizon)
    old_clock = _clock_day(con)
    run_keyed = [n for n in selected if catalog.models[n].kind == "incremental_by_run"]
    for name in run_keyed:
        results.append(_merge_runs(con, catalog.models[name], horizon))
    _drop_window_tables(con, run_keyed)
    new_days, new_first = _run_days(con, horizon)
    days = sorted((old_days | new_days | {date.fromisoformat(d) for d in changed})
                  & {date.fromisoformat(d) for d in window})
    con.execute("create or replace temp table refresh_days as select unnest(?::date[]) as day", [days])
    refresh_from = min((d for d in (*days[:1], old_first, new_first, old_clock) if d is not None), default=None)
    results += _merge_day_models(con, catalog, selected, refresh_from)
    runs = con.execute("select count(*) from refresh_runs").fetchone()[0]
    return results, runs


def _open_window(con: duckdb.DuckDBPyConnection, lake: Path, changed: set[str], horizon: date) -> set[str]:
    """Find the runs with events on the changed days, then point the lake views at every
    day those runs span; returns those days."""
    reader.connect(lake, con=con, tables=MODELLED_TABLES, days=changed)
    con.execute(
        "create or replace temp table refresh_runs as select distinct run_id from ("
        " select run_id from runs union all select run_id from steps"
        " union all select run_id from errors union all select run_id from model_calls)"
    )
    con.execute("set variable refresh_horizon = ?::date", [horizon])
    window = set(changed) | _run_span_days(con, max(changed), horizon)
    reader.connect(lake, con=con, tables=MODELLED_TABLES, days=window)
    return window


def _merge_day_models(con: duckdb.DuckDBPyConnection, catalog: Catalog, selected: list[str],
                      refresh_from: date | None) -> list[ModelResult]:
    """Day-keyed, rolling and table models after the run-keyed ones, the clock bound first."""
    con.execute(f"use {WAREHOUSE}")
    _bind_kept_clock(con, selected, refresh_from)
    results = []
    for name in selected:
        model = catalog.models[name]
        if model.kind == "incremental_by_day":
            results.append(_merge_days(con, model))
        elif model.kind == "incremental_from_day":
            results.append(_merge_from(con, model))
        elif model.kind == "table":
            results.append(_rebuild(con, model))
        if name == CLOCK_MODEL:
            bind_clock(con, refresh_from)
    return results


def _run_span_days(con: duckdb.DuckDBPyConnection, last_changed: str, horizon: date) -> set[str]:
    """Lake days spanned by the runs to recompute, as the warehouse knows them so far.

    A run spans at most MAX_RUN_SPAN_DAYS, so its warehouse rows are looked up from
    ``horizon`` (that many days before the earliest changed day) on, never in all history.
    """
    if not table_exists(con, "fct_runs"):
        return set()
    rows = con.execute(
        f"""
        with spans as (
            select cast(queued_at as date) as first_day,
                cast(coalesce(ended_at, ?::date) as date) as last_day
            from {WAREHOUSE}.fct_runs
            where day >= ?::date and run_id in (select run_id from refresh_runs)
        )
        select distinct cast(days.day as date)
        from spans, generate_series(first_day, least(last_day, first_day + {MAX_RUN_SPAN_DAYS}), interval 1 day)
            as days(day)
        """,
        [last_changed, horizon],
    ).fetchall()
    return {r[0].isoformat() for r in rows}


def _run_days(con: duckdb.DuckDBPyConnection, horizon: date) -> tuple[set[date], date | None]:
    """The days the runs to recompute count on in the warehouse, and the first day one was queued."""
    if not table_exists(con, "fct_runs"):
        return set(), None
    rows = con.execute(
        f"select day, min(cast(queued_at as date)) from {WAREHOUSE}.fct_runs "
        "where day >= ?::date and run_id in (select run_id from refresh_runs) group by day",
        [horizon],
    ).fetchall()
    return {r[0] for r in rows}, min((r[1] for r in rows if r[1] is not None), default=None)


def _rebuild(con: duckdb.DuckDBPyConnection, model: Model) -> ModelResult:
    started = time.perf_counter()
    # run-keyed facts are stored by day, so date filters on them skip older row groups
    order = "\norder by day" if model.kind == "incremental_by_run" else ""
    con.execute(f"create or replace table {WAREHOUSE}.{model.name} as\nselect * from (\n{model.sql}\n){order}")
    rows = _count(con, f"{WAREHOUSE}.{model.name}")
    return ModelResult(model.name, model.kind, "rebuilt", rows, rows, time.perf_counter() - started)


def _merge_runs(con: duckdb.DuckDBPyConnection, model: Model, horizon: date) -> ModelResult:
    """Build the model's rows for the window as a temp table, then replace those runs' rows.

    The temp table has the model's own name, so run-keyed models built after it in this
    refresh (fct_runs reading fct_steps) read the fresh window rows, not the warehouse.
    A run spans at most MAX_RUN_SPAN_DAYS before the earliest changed day (``horizon``), so
    the delete only looks at the row groups from then on, not at all history.
    """
    if not table_exists(con, model.name):
        return _rebuild(con, model)
    started = time.perf_counter()
    con.execute(f"create or replace temp table {model.name} as\n{model.sql}")
    con.execute(f"delete from {WAREHOUSE}.{model.name} where day >= ?::date "
                "and run_id in (select run_id from refresh_runs)", [horizon])
    written = con.execute(
        f"insert into {WAREHOUSE}.{model.name} by name select * from temp.{model.name} "
        "where run_id in (select run_id from refresh_runs) order by day"
    ).fetchone()[0]
    return ModelResult(model.name, model.kind, "merged", _count(con, f"{WAREHOUSE}.{model.name}"), written,
                       time.perf_counter() - started)


def _drop_window_tables(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    for name in names:
        con.execute(f"drop table if exists temp.{name}")


def _merge_days(con: duckdb.DuckDBPyConnection, model: Model) -> ModelResult:
    """Replace the rows of the days to refresh with the model's rows for those days."""
    if not table_exists(con, model.name):
        return _rebuild(con, model)
    started = time.perf_counter()
    con.execute(f"delete from {WAREHOUSE}.{model.name} where day in (select day from refresh_days)")
    written = con.execute(
        f"insert into {WAREHOUSE}.{model.name} by name select * from (\n{model.sql}\n) as model_rows "
        "where day in (select day from refresh_days)"
    ).fetchone()[0]
    return ModelResult(model.name, model.kind, "merged", _count(con, f"{WAREHOUSE}.{model.name}"), written,
                       time.perf_counter() - started)


def _merge_from(con: duckdb.DuckDBPyConnection, model: Model) -> ModelResult:
    """Replace every row from refresh_from on (the model computes only those), then drop the
    rows its window no longer covers."""
    if not table_exists(con, model.name):
        return _rebuild(con, model)
    started = time.perf_counter()
    since = f"{model.since} >= getvariable('refresh_from')"
    con.execute(f"delete from {WAREHOUSE}.{model.name} where {since}")
    written = con.execute(
        f"insert into {WAREHOUSE}.{model.name} by name select * from (\n{model.sql}\n) as model_rows where {since}"
    ).fetchone()[0]
    if model.retain:
        con.execute(f"delete from {WAREHOUSE}.{model.name} where not ({model.retain})")
    return ModelResult(model.name, model.kind, "merged", _count(con, f"{WAREHOUSE}.{model.name}"), written,
                       time.perf_counter() - started)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]
