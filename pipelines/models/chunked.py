"""A full rebuild of the run-keyed facts, several weeks of lake days at a time.

Folding every step event of the history at once needs a hash table of every attempt
(≈ 2.5 GB for 10M step events), spills under the refresh's memory limit, and then sorts
millions of wide rows by day. Folding a few weeks at a time keeps each fold in memory and
each sort small (figures in bench/README.md).

1. Plan: consecutive lake days, grouped so each chunk's Parquet (the modelled tables,
   compacted and landing) stays within a byte budget.
2. Each chunk: the lake views see only its days; every run-keyed model is built into a
   temp table of its own name (so fct_runs reads this chunk's fct_steps), then appended
   to a staging table (``<name>__build``) ordered by day. The first and last event day of
   every run seen in the chunk is noted.
3. A run seen in more than one chunk (one crossing a chunk's edge) was folded from part
   of its events each time: its rows are deleted and rebuilt from every day it spans,
   exactly as an incremental refresh rebuilds a run.

The staging tables are written before the refresh's transaction and commit as they go:
rows a transaction has not committed stay in memory, and held there they made every later
chunk spill (the build took 1.6× as long). The refresh's transaction then swaps them in
(``swap``: drop the old table, rename the new one), so the warehouse still changes all at
once; a build that dies leaves only staging tables, replaced by the next one.

The result is the same rows as one big rebuild (tested with one day per chunk).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb

from pipelines.lake import faults, inventory, reader
from pipelines.models.catalog import Catalog
from pipelines.models.state import MODELLED_TABLES
from pipelines.models.warehouse import WAREHOUSE

# Parquet bytes of the modelled tables per chunk (≈ 7 weeks of 2,700 runs a day). A full
# refresh of 1M runs took 25 s of query with 16 MB chunks, 17 s with 32 MB, 14.1 s with
# 64 MB, 14.2–14.6 s with 128–256 MB (peak 950–1180 MB) and 16 s with 512 MB: smaller
# chunks commit and write more often, bigger ones fold in more memory.
DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024
BUILD_SUFFIX = "__build"
# runner.create_views, passed in: the runner calls this module
CreateViews = Callable[[duckdb.DuckDBPyConnection, Catalog], object]


def staging_name(name: str) -> str:
    return f"{WAREHOUSE}.{name}{BUILD_SUFFIX}"


def plan_chunks(lake: Path, budget: int) -> list[list[str]]:
    """Consecutive lake days (ISO dates) in chunks of at most ``budget`` bytes (one day at least)."""
    chunks: list[list[str]] = []
    size = 0
    for day, nbytes in sorted(_day_bytes(lake, MODELLED_TABLES).items()):
        if not chunks or size + nbytes > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(day)
        size += nbytes
    return chunks


def _day_bytes(lake: Path, tables: tuple[str, ...] = MODELLED_TABLES) -> dict[str, int]:
    """Bytes of Parquet per lake day in ``tables`` (compacted and landing files, from ``stat``;
    files awaiting deletion count too: it sizes work, it is not a record)."""
    out: dict[str, int] = {}
    for table in tables:
        for root in (lake / "tables", lake / "landing"):
            for day in inventory.days(root, table):
                files = inventory.parquet_files(root / table / f"date={day}")
                out[day] = out.get(day, 0) + sum(p.stat().st_size for p in files)
    return out


def build(con: duckdb.DuckDBPyConnection, lake: Path, catalog: Catalog, names: list[str],
          chunks: list[list[str]], create_views: CreateViews) -> dict[str, float]:
    """Build the run-keyed models ``names`` (in dependency order) chunk by chunk into their
    staging tables; returns the query seconds spent per model."""
    seconds = dict.fromkeys(names, 0.0)
    con.execute("create or replace temp table chunk_runs (run_id varchar, chunk integer, first_day date, last_day date)")
    for index, days in enumerate(chunks):
        _fold(con, lake, set(days), catalog, names, create_views, _append(first=index == 0), seconds,
              before=partial(_note_runs, con, index))
        faults.checkpoint("refresh.after_chunk")
    _rebuild_crossing_runs(con, lake, catalog, names, create_views, seconds)
    _drop_temp(con, ["chunk_runs", "refresh_runs"])
    return seconds


def _append(first: bool) -> Callable[[str], list[str]]:
    """A chunk's rows of a model onto its staging table (the first chunk creates it)."""
    into = "create or replace table {} as" if first else "insert into {} by name"
    return lambda name: [f"{into.format(staging_name(name))} select * from temp.{name} order by day"]


def _fold(con: duckdb.DuckDBPyConnection, lake: Path, days: set[str], catalog: Catalog, names: list[str],
          create_views: CreateViews, write: Callable[[str], list[str]], seconds: dict[str, float],
          before: Callable[[], None] = lambda: None) -> None:
    """One committed step: the lake views on ``days``, each model built into a temp table of its
    own name (so fct_runs reads this window's fct_steps), then ``write(name)``'s statements.

    One commit per window: one WAL sync, and never more than a window held uncommitted. The
    commit (it writes the rows) and ``before`` are shared among the models by their time.
    """
    reader.connect(lake, con=con, tables=MODELLED_TABLES, days=days)
    create_views(con, catalog)
    started = time.perf_counter()
    con.execute("begin transaction")
    before()
    shared = time.perf_counter() - started
    spent = {}
    for name in names:
        started = time.perf_counter()
        con.execute(f"create or replace temp table {name} as\n{catalog.models[name].sql}")
        for statement in write(name):
            con.execute(statement)
        spent[name] = time.perf_counter() - started
    _drop_temp(con, names)
    started = time.perf_counter()
    con.execute("commit")
    shared += time.perf_counter() - started
    total = sum(spent.values()) or 1.0
    for name, s in spent.items():
        seconds[name] += s + shared * s / total


def _note_runs(con: duckdb.DuckDBPyConnection, index: int) -> None:
    events = " union all ".join(f"select run_id, ts from {table}" for table in MODELLED_TABLES)
    con.execute(
        f"insert into temp.chunk_runs select run_id, {index}, min(ts)::date, max(ts)::date "
        f"from ({events}) group by run_id"
    )


def _rebuild_crossing_runs(con, lake: Path, catalog: Catalog, names: list[str], create_views: CreateViews,
                           seconds: dict[str, float]) -> None:
    """Rebuild the runs seen in more than one chunk from all the days they span."""
    con.execute(
        "create or replace temp table refresh_runs as "
        "select run_id, min(first_day) as first_day, max(last_day) as last_day "
        "from temp.chunk_runs group by run_id having count(*) > 1"
    )
    rows = con.execute(
        "select distinct cast(d.day as date) from temp.refresh_runs, "
        "generate_series(first_day, last_day, interval 1 day) as d(day)"
    ).fetchall()
    if not rows:
        return
    crossing = "run_id in (select run_id from temp.refresh_runs)"

    def replace(name: str) -> list[str]:
        return [f"delete from {staging_name(name)} where {crossing}",
                f"insert into {staging_name(name)} by name select * from temp.{name} where {crossing} order by day"]

    _fold(con, lake, {r[0].isoformat() for r in rows}, catalog, names, create_views, replace, seconds)


def _drop_temp(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    for name in names:
        con.execute(f"drop table if exists temp.{name}")


def drop_leftovers(con: duckdb.DuckDBPyConnection) -> None:
    """Drop staging tables a full refresh that died left behind."""
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' "
        "and suffix(table_name, ?)", [WAREHOUSE, BUILD_SUFFIX]
    ).fetchall()
    for (name,) in rows:
        con.execute(f"drop table {WAREHOUSE}.{name}")


def swap(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Replace each model's table with its staging table (inside the refresh's transaction)."""
    for name in names:
        con.execute(f"drop table if exists {WAREHOUSE}.{name}")
        con.execute(f"alter table {staging_name(name)} rename to {name}")
