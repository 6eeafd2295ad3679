"""Audits: SQL that returns the bad rows of a model; none returned means the audit passes.

Every persisted model is audited for a unique grain; its header adds ``not_negative``
and ``unit_interval`` audits on named columns. Table and column names come from the
model files and are checked to be plain identifiers before they reach the SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from pipelines.errors import JoblensError
from pipelines.models.catalog import Catalog, Model

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Audit:
    model: str
    name: str
    sql: str
    description: str


@dataclass
class AuditResult:
    model: str
    name: str
    bad_rows: int
    sample: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.bad_rows == 0


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise JoblensError(f"audit column {name!r} is not a plain identifier")
    return f'"{name}"'


def model_audits(model: Model, scope: str | None = None) -> list[Audit]:
    """The audits of one persisted model, as SQL returning its bad rows; ``scope`` (a
    condition from the refresh, never user input) limits them to the rows just written."""
    if not model.persisted:
        return []
    table = _ident(model.name)
    if scope:
        table = f"(select * from {table} where {scope}) as {table}"
    audits = []
    if model.grain:
        keys = ", ".join(_ident(c) for c in model.grain)
        audits.append(Audit(
            model.name, "unique_grain",
            f"select {keys}, count(*) as copies from {table} group by all having count(*) > 1",
            f"one row per {', '.join(model.grain)}",
        ))
    columns = model.audits.get("not_negative", ())
    if columns:
        condition = " or ".join(f"{_ident(c)} < 0" for c in columns)
        audits.append(Audit(model.name, "not_negative", f"select * from {table} where {condition}",
                            f"no negative {', '.join(columns)}"))
    columns = model.audits.get("unit_interval", ())
    if columns:
        condition = " or ".join(f"{_ident(c)} not between 0 and 1" for c in columns)
        audits.append(Audit(model.name, "unit_interval", f"select * from {table} where {condition}",
                            f"{', '.join(columns)} within [0, 1]"))
    return audits


def all_audits(catalog: Catalog, scopes: dict[str, str] | None = None) -> list[Audit]:
    scopes = scopes or {}
    return [a for name in catalog.order for a in model_audits(catalog.models[name], scopes.get(name))]


def run_audit(con: duckdb.DuckDBPyConnection, audit: Audit) -> AuditResult:
    count = con.execute(f"select count(*) from ({audit.sql})").fetchone()[0]
    sample = []
    if count:
        cursor = con.execute(f"select * from ({audit.sql}) limit {SAMPLE_ROWS}")
        names = [d[0] for d in cursor.description]
        sample = [dict(zip(names, map(_plain, row))) for row in cursor.fetchall()]
    return AuditResult(audit.model, audit.name, count, sample)


def _plain(value):
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
