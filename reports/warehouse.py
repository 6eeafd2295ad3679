"""Reading the warehouse: a read-only DuckDB connection and the report's named queries.

Reports read only the public models of the warehouse (``sql/README.md``). Each query is a
file in ``reports/queries/``; values go in as bound parameters (``$start``, ``$team`` …).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import duckdb

from pipelines.duckdb_files import LOCK_MESSAGE, connect_file
from pipelines.models.warehouse import WAREHOUSE_WAIT_S
from reports.errors import ReportError
from reports.period import Period

# The model tables the reports read (the report assets depend on these in Dagster).
REQUIRED_TABLES = (
    "fct_runs", "fct_steps", "agg_job_daily", "agg_cost_daily", "failure_patterns", "budget_status",
    "agg_step_performance", "agg_capacity", "agg_step_daily", "agg_retry_daily", "fct_incidents",
)

_PARAM = re.compile(r"\$([a-z_]+)")


@contextmanager
def open_warehouse(path: str | Path, wait_s: float = WAREHOUSE_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection. The warehouse file is shared with the refresh,
    which holds it alone while it writes: wait up to ``wait_s`` for it to let go."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"warehouse {path} does not exist; run `joblens refresh` first")
    try:
        con = connect_file(path, read_only=True, wait_s=wait_s)
    except duckdb.Error as exc:
        held = f" (still held by another process after {wait_s:g} s: a refresh?)" if LOCK_MESSAGE in str(exc) else ""
        raise ReportError(f"cannot open warehouse {path}{held}: {str(exc).splitlines()[0]}") from None
    try:
        yield con
    finally:
        con.close()


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    return resources.files("reports").joinpath("queries", f"{name}.sql").read_text()


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Run ``sql`` binding only the parameters it names (DuckDB rejects unused ones)."""
    wanted = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in wanted})


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts."""
    cursor = execute(con, sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` the warehouse lacks. The models are tables of its main schema; asking
    only there costs a quarter of what information_schema does (≈ 1 ms against 4)."""
    present = {row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'main'"
    ).fetchall()}
    return [name for name in names if name not in present]


@dataclass
class ReportQueries:
    """One report's view of the warehouse: its period, the one before, and the team scope."""

    con: duckdb.DuckDBPyConnection
    period: Period
    previous: Period
    team: str | None = None
    _cache: dict[tuple, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return {
            "start": self.period.start,
            "end": self.period.end,
            "prev_start": self.previous.start,
            "prev_end": self.previous.end,
            "team": self.team,
        }

    def rows(self, name: str, **extra: Any) -> list[dict[str, Any]]:
        """Rows of the named query; several sections share a query, so it runs once."""
        key = (name, tuple(sorted(extra.items())))
        if key not in self._cache:
            self._cache[key] = fetch(self.con, query_text(name), {**self.params, **extra})
        return self._cache[key]

    def one(self, name: str, **extra: Any) -> dict[str, Any]:
        rows = self.rows(name, **extra)
        return rows[0] if rows else {}
