"""The one way to read the lake: a DuckDB connection with a view per table.

Each view unions the live compacted files (unique by construction) with the landing
files not merged yet, de-duplicated by row id, so a replayed event is counted once.
Files are preflighted first (footer, manifest, schema version): a damaged file is left
out with a warning instead of failing the whole query, as one truncated file in a
DuckDB glob would. Views are temporary: they never persist into a warehouse file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lake import inventory
from pipelines.lake import schema as lake_schema

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    lake_schema.TS: "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
}


def connect(
    lake: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    tables: tuple[str, ...] | None = None,
    days: set[str] | None = None,
    prefix: str = "",
) -> duckdb.DuckDBPyConnection:
    """Create ``<prefix><table>`` temp views over ``lake`` on ``con`` (a new in-memory one by default).

    ``days`` (ISO dates) limits the views to those partitions: the files of other days
    are not even opened.
    """
    con = con if con is not None else duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for table in tables or lake_schema.TABLES:
        files = inventory.live_files(Path(lake), table, days)
        con.execute(f"create or replace temp view {prefix}{table} as {view_sql(table, files)}")
    return con


def view_sql(table: str, files: inventory.LiveFiles) -> str:
    """The SELECT behind a table's view: compacted rows, then unmerged landing rows not seen yet."""
    compacted = _scan(table, files.compacted, files.columns)
    if not files.landing:
        return compacted
    landing = (
        f"select * from ({_scan(table, files.landing, files.columns)}) "
        "qualify row_number() over (partition by id order by ts) = 1"
    )
    overlap = files.compacted_on(files.landing_days)
    if overlap:
        landing = f"select * from ({landing}) where id not in (select id from {_read(overlap)})"
    return f"{compacted} union all by name {landing}"


def _scan(table: str, paths: list[Path], present: set[str]) -> str:
    """Typed columns of ``table`` over ``paths`` (``present``: the columns their files hold);
    an empty, typed relation when there are no files."""
    target = lake_schema.schema(table)
    if not paths:
        cols = ", ".join(f"cast(null as {_DUCKDB_TYPES[f.type]}) as {f.name}" for f in target)
        return f"select {cols} where false"
    cols = ", ".join(
        f"cast({f.name if f.name in present else 'null'} as {_DUCKDB_TYPES[f.type]}) as {f.name}" for f in target
    )
    return f"select {cols} from {_read(paths)}"


def _read(paths: list[Path]) -> str:
    listed = ", ".join(_literal(str(p)) for p in paths)
    return f"read_parquet([{listed}], union_by_name = true)"


def _literal(text: str) -> str:
    # View bodies cannot take bound parameters; file paths are quoted as SQL literals.
    return "'" + text.replace("'", "''") + "'"


def day_set(since: date | None = None, until: date | None = None, lake: Path | None = None) -> set[str] | None:
    """ISO days between ``since`` and ``until`` (inclusive) present in ``lake``; None means all."""
    if since is None and until is None:
        return None
    found = set()
    for table in lake_schema.TABLES:
        for root in ("tables", "landing"):
            found.update(inventory.days(Path(lake) / root, table))
    lo = since.isoformat() if since else "0000-00-00"
    hi = until.isoformat() if until else "9999-99-99"
    return {d for d in found if lo <= d <= hi}
