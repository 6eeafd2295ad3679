"""What the warehouse was last built from: per lake table and day, a fingerprint of its files.

A day's fingerprint covers its compacted manifest and its unmerged landing files (names
and sizes), so a new landing file, a compaction or a retention delete all mark the day
changed; only ``stat`` calls are needed, no Parquet is opened. The state lives in the
warehouse itself (schema ``joblens_state``), so it commits in the same transaction as
the rows it describes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lake import inventory

# The lake tables the models read; logs, snapshots and samples do not feed them.
MODELLED_TABLES = ("runs", "steps", "errors", "model_calls")
SCHEMA = "joblens_state"


def lake_fingerprints(lake: Path, tables: tuple[str, ...] = MODELLED_TABLES) -> dict[tuple[str, str], str]:
    """``(table, day) -> fingerprint`` for every day partition present in the lake."""
    out = {}
    for table in tables:
        landing = set(inventory.days(lake / "landing", table))
        for day in sorted(set(inventory.days(lake / "tables", table)) | landing):
            out[(table, day)] = _day_fingerprint(lake, table, day, day in landing)
    return out


def _day_fingerprint(lake: Path, table: str, day: str, has_landing: bool) -> str:
    digest = hashlib.sha256()
    manifest = inventory.table_day_dir(lake, table, day) / inventory.MANIFEST
    try:
        st = manifest.stat()
        digest.update(f"m:{st.st_size}:{st.st_mtime_ns}".encode())
    except FileNotFoundError:
        pass
    if has_landing:
        for name, size in _landing_files(lake / "landing" / table / f"date={day}"):
            digest.update(f"l:{name}:{size}".encode())
    return digest.hexdigest()[:16]


def _landing_files(folder: Path) -> list[tuple[str, int]]:
    """(name, size) of the Parquet files in a landing folder, sorted; none when it has gone."""
    try:
        with os.scandir(folder) as entries:
            return sorted((e.name, e.stat().st_size) for e in entries
                          if e.name.endswith(".parquet") and not e.name.startswith("."))
    except FileNotFoundError:
        return []


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create table if not exists {SCHEMA}.lake_days (table_name varchar, day varchar, fingerprint varchar)")
    con.execute(f"create table if not exists {SCHEMA}.settings (key varchar primary key, value varchar)")


def changed_days(con: duckdb.DuckDBPyConnection, current: dict[tuple[str, str], str]) -> set[str]:
    """Days whose fingerprint differs from the last refresh, including days that disappeared."""
    recorded = {(t, d): f for t, d, f in con.execute(f"select table_name, day, fingerprint from {SCHEMA}.lake_days").fetchall()}
    keys = set(current) | set(recorded)
    return {day for (table, day) in keys if current.get((table, day)) != recorded.get((table, day))}


def record_days(con: duckdb.DuckDBPyConnection, current: dict[tuple[str, str], str], days: set[str] | None) -> None:
    """Remember the fingerprints of ``days`` (all days when None) as refreshed."""
    if days is None:
        con.execute(f"delete from {SCHEMA}.lake_days")
    else:
        con.execute(f"delete from {SCHEMA}.lake_days where day in (select unnest(?::varchar[]))", [sorted(days)])
    rows = [(t, d, f) for (t, d), f in current.items() if days is None or d in days]
    if rows:
        table = pa.table({name: list(column) for name, column in zip(("table_name", "day", "fingerprint"), zip(*rows))})
        con.register("_lake_days", table)
        try:
            con.execute(f"insert into {SCHEMA}.lake_days select * from _lake_days")
        finally:
            con.unregister("_lake_days")


def setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute(f"select value from {SCHEMA}.settings where key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(f"insert or replace into {SCHEMA}.settings values (?, ?)", [key, value])
