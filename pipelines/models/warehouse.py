"""The warehouse file and the DuckDB connections a refresh runs on.

A refresh connection opens ``warehouse.duckdb`` read-write with a memory limit and a
spill folder inside JOBLENS_HOME, so a big refresh spills to disk instead of dying.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import duckdb

from pipelines.duckdb_files import connect_file
from pipelines.errors import JoblensError
from pipelines.home import Home

MEMORY_LIMIT_ENV = "JOBLENS_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"
WAREHOUSE = "warehouse"
# How long anything that opens the warehouse waits for another process to let go of it: a
# full refresh of a year of history holds it ≈ 20 s, a report or a query a moment.
WAREHOUSE_WAIT_S = 120.0

# Per-row time conversions the models use. Times are UTC instants; DuckDB turns a timestamptz
# into a date, or the difference of two into seconds, through ICU's calendar: ~60 and ~120 ns a
# row on this machine class, 0.4 and 0.7 s over 6M attempts. From epoch microseconds the same
# values cost next to nothing, and a span over a day comes out exact (ICU's interval does not).
MACROS = (
    ("create or replace temp macro utc_date(ts) as "
     "date '1970-01-01' + cast(floor(epoch_us(ts) / 86400000000) as integer)"),
    "create or replace temp macro seconds_between(t0, t1) as (epoch_us(t1) - epoch_us(t0)) / 1e6",
)


def memory_limit(configured: str | None = None) -> str:
    """The DuckDB memory limit: the configured one, else ``$JOBLENS_DUCKDB_MEMORY_LIMIT``, else 1GB."""
    return configured or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


def spill_dir(home: Home):
    return home.root / "tmp" / "duckdb"


@contextmanager
def refresh_connection(home: Home, limit: str | None = None, threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse."""
    home.ensure()
    spill_dir(home).mkdir(parents=True, exist_ok=True)
    # insertion order is not kept (tables that need an order say ORDER BY): the CTAS of a
    # big fact then streams instead of buffering, in less memory
    config = {"memory_limit": memory_limit(limit), "temp_directory": str(spill_dir(home)),
              "preserve_insertion_order": False}
    if threads:
        config["threads"] = threads
    con = _connect(home, config, read_only=False)
    try:
        con.execute("set TimeZone = 'UTC'")
        define_macros(con)
        yield con
    finally:
        con.close()


@contextmanager
def read_connection(home: Home) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the warehouse (for reports, alerts, checks)."""
    if not home.warehouse.exists():
        raise JoblensError(f"no warehouse at {home.warehouse}; run `joblens refresh` first")
    con = _connect(home, {"memory_limit": memory_limit()}, read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros model SQL calls (``MACROS``) on ``con``, for its lifetime."""
    for macro in MACROS:
        con.execute(macro)


def _connect(home: Home, config: dict, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return connect_file(home.warehouse, read_only=read_only, wait_s=WAREHOUSE_WAIT_S, config=config)
    except duckdb.IOException as exc:
        raise JoblensError(f"cannot open warehouse {home.warehouse}: {str(exc).splitlines()[0]}") from None
    except duckdb.InvalidInputException as exc:
        raise JoblensError(f"bad DuckDB setting for {home.warehouse}: {str(exc).splitlines()[0]}") from None


def table_exists(con: duckdb.DuckDBPyConnection, name: str, catalog: str = WAREHOUSE) -> bool:
    rows = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'main' and table_name = ?",
        [catalog, name],
    ).fetchall()
    return bool(rows[0][0])
