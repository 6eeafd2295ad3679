"""Reference tables loaded into the warehouse on every refresh: prices, error codes, budgets."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import JoblensError
from sql import BUDGETS_FILE

BUDGETS_ENV = "JOBLENS_BUDGETS"
BUDGET_SCOPES = ("total", "job", "team", "model")
BUDGETS_SCHEMA = pa.schema(
    [
        ("budget_name", pa.string()),
        ("scope", pa.string()),
        ("match", pa.string()),
        ("monthly_usd", pa.float64()),
        ("warn_at", pa.float64()),
    ]
)


def budgets_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The given file, else ``$JOBLENS_BUDGETS`` (read at call time), else ``sql/budgets.yaml``."""
    return Path(path or os.environ.get(BUDGETS_ENV) or BUDGETS_FILE)


def load_budgets(path: str | os.PathLike[str] | None = None) -> pa.Table:
    """The budgets as a table; anything malformed is a JoblensError naming file and field."""
    import yaml

    source = budgets_path(path)
    try:
        raw = yaml.safe_load(source.read_text()) or {}
    except OSError as exc:
        raise JoblensError(f"{source}: cannot read budgets: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise JoblensError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None
    entries = raw.get("budgets") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise JoblensError(f"{source}: expected a top-level 'budgets' list")
    rows = [_budget_row(source, i, entry) for i, entry in enumerate(entries)]
    names = [r["budget_name"] for r in rows]
    if len(set(names)) != len(names):
        raise JoblensError(f"{source}: budget names must be unique")
    return pa.Table.from_pylist(rows, schema=BUDGETS_SCHEMA)


def _budget_row(source: Path, index: int, entry: object) -> dict:
    where = f"{source}: budgets[{index}]"
    if not isinstance(entry, dict) or not entry.get("name"):
        raise JoblensError(f"{where}: each budget needs a name")
    scope = entry.get("scope", "total")
    if scope not in BUDGET_SCOPES:
        raise JoblensError(f"{where}.scope: {scope!r} is not one of {', '.join(BUDGET_SCOPES)}")
    if scope != "total" and not entry.get("match"):
        raise JoblensError(f"{where}.match: a {scope} budget needs a match pattern")
    try:
        monthly = float(entry["monthly_usd"])
        warn_at = float(entry.get("warn_at", 0.8))
    except (KeyError, TypeError, ValueError):
        raise JoblensError(f"{where}.monthly_usd: a number of US dollars is required") from None
    if monthly < 0 or not 0 < warn_at <= 1:
        raise JoblensError(f"{where}: monthly_usd must be >= 0 and warn_at in (0, 1]")
    return {"budget_name": str(entry["name"]), "scope": scope, "match": entry.get("match") or "*",
            "monthly_usd": monthly, "warn_at": warn_at}


def seed_tables() -> dict[str, pa.Table]:
    """Every reference table by its warehouse name, read now (env overrides apply)."""
    from pipelines.telemetry.prices import load_prices
    from pipelines.telemetry.taxonomy import error_codes_table

    return {"ref_model_prices": load_prices(), "ref_error_codes": error_codes_table(), "ref_budgets": load_budgets()}


def fingerprint(tables: dict[str, pa.Table]) -> str:
    """A digest of the seed contents: a change (a new price) means history must be re-priced."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        payload = json.dumps(tables[name].to_pylist(), sort_keys=True, default=str)
        digest.update(f"{name}:{payload}".encode())
    return digest.hexdigest()[:16]


def write_seeds(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Replace each reference table in the current catalog with its fresh contents."""
    for name, table in tables.items():
        con.register("_seed_rows", table)
        try:
            con.execute(f"create or replace table {name} as select * from _seed_rows")
        finally:
            con.unregister("_seed_rows")
