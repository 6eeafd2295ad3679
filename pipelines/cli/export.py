"""``joblens export``: a lake table or a model, filtered in time, streamed to one file atomically.

Rows are streamed in Arrow batches, so exporting a large table never holds it in memory;
the file appears under its name only once complete (temp file, fsync, rename).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import JoblensError
from pipelines.home import Home
from pipelines.lake import reader
from pipelines.lake import schema as lake_schema
from pipelines.lake.files import publish

BATCH_ROWS = 100_000
# The time column a --since/--until filter applies to, in order of preference.
TIME_COLUMNS = ("ts", "queued_at", "day", "hour", "started_at", "last_seen")


def export_table(home: Home, table: str, out: Path, fmt: str, since: datetime | None, until: datetime | None) -> int:
    """Write the rows of ``table`` in [since, until) to ``out``; returns the row count."""
    from pipelines.cli.history import ensure_models, one_line, open_history

    days = None
    if table in lake_schema.TABLES:
        days = reader.day_set(since.date() if since else None, until.date() if until else None, home.lake)
    with open_history(home, days=days) as con:
        if table not in lake_schema.TABLES:
            ensure_models(con, [table])
        try:
            counted = _Counted(_select(con, table, since, until).to_arrow_reader(BATCH_ROWS))
            publish(Path(out), lambda tmp: _WRITERS[fmt](counted, tmp))
        except duckdb.Error as exc:
            raise JoblensError(f"export {table}: {one_line(exc)}") from None
        except OSError as exc:
            raise JoblensError(f"--out: cannot write {out}: {exc.strerror}") from None
    return counted.rows


def _select(con: duckdb.DuckDBPyConnection, table: str, since: datetime | None, until: datetime | None):
    columns = [r[0] for r in con.execute(
        "select column_name from (describe select * from query_table($t))", {"t": table}).fetchall()]
    if since is None and until is None:
        return con.sql("select * from query_table($t)", params={"t": table})
    column = next((c for c in TIME_COLUMNS if c in columns), None)
    if column is None:
        raise JoblensError(f"export {table}: no time column ({', '.join(TIME_COLUMNS)}) to apply --since/--until to")
    return con.sql(
        "select * from query_table($t) where ($since is null or cast(columns($c) as timestamptz) >= $since)"
        " and ($until is null or cast(columns($c) as timestamptz) < $until) order by columns($c)",
        params={"t": table, "c": column, "since": since, "until": until},
    )


class _Counted:
    """A record batch reader that counts the rows passing through it."""

    def __init__(self, batches: pa.RecordBatchReader):
        self.batches = batches
        self.schema = batches.schema
        self.rows = 0

    def __iter__(self):
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch


def _write_parquet(batches: _Counted, path: Path) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, batches.schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)


def _write_csv(batches: _Counted, path: Path) -> None:
    import pyarrow.csv as pacsv

    schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_list(f.type) else f for f in batches.schema])
    with pacsv.CSVWriter(path, schema) as writer:
        for batch in batches:
            writer.write_batch(_lists_as_json(batch, schema))


def _lists_as_json(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """CSV has no list type: list cells (e.g. redacted_fields) become JSON text."""
    columns = [
        pa.array([None if v is None else json.dumps(v) for v in col.to_pylist()], pa.string())
        if pa.types.is_list(col.type) else col
        for col in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _write_json(batches: _Counted, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for batch in batches:
            for row in batch.to_pylist():
                handle.write(json.dumps(row, default=_plain) + "\n")


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


_WRITERS = {"parquet": _write_parquet, "csv": _write_csv, "json": _write_json}
