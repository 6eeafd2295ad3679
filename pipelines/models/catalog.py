"""The model catalog: the ``sql/*.sql`` files, what each declares, and the graph between them.

A model file is one SELECT under a header of ``--`` comments: the first line is
``<name>: <purpose>``, then directives::

    -- grain: run_id                     unique key (also audited as unique)
    -- kind: incremental_by_run          view | table | incremental_by_run | incremental_by_day
    -- audit not_negative: cost_usd, duration_s
    -- audit unit_interval: success_rate
    -- since: hour                         incremental_from_day: the column compared with refresh_from
    -- retain: hour >= getvariable('window_start')   rows failing this are dropped after a merge

Dependencies are never declared: they are the tables the SELECT reads, found by DuckDB's
own parser (``json_serialize_sql``), minus the names of its CTEs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from pipelines.errors import JoblensError
from pipelines.lake import schema as lake_schema
from sql import model_files

KINDS = ("view", "table", "incremental_by_run", "incremental_by_day", "incremental_from_day")
AUDIT_RULES = ("not_negative", "unit_interval")
SEED_TABLES = ("ref_model_prices", "ref_error_codes", "ref_budgets")
# The model the refresh binds as_of, as_of_day and refresh_from from (DuckDB variables).
CLOCK_MODEL = "int_as_of"
LAKE_SOURCES = tuple(lake_schema.TABLES)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DIRECTIVE = re.compile(r"^--\s*(grain|kind|since|retain|audit\s+\w+)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class Model:
    """One SQL model: table name, its SELECT, what it declares and what it reads."""

    name: str
    sql: str
    path: Path
    description: str
    kind: str
    grain: tuple[str, ...]
    audits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deps: frozenset[str] = frozenset()
    since: str = "day"
    retain: str | None = None

    @property
    def persisted(self) -> bool:
        """Views live on the refresh connection only; every other kind is a warehouse table."""
        return self.kind != "view"

    @property
    def incremental_key(self) -> str | None:
        return {"incremental_by_run": "run_id", "incremental_by_day": "day",
                "incremental_from_day": self.since}.get(self.kind)


def referenced_tables(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> frozenset[str]:
    """Tables a SELECT reads, from DuckDB's parse tree; CTE names are not tables."""
    raw = (con or duckdb.connect()).execute("select json_serialize_sql(?)", [sql]).fetchone()[0]
    tree = json.loads(raw)
    if tree.get("error"):
        raise JoblensError(f"cannot parse SQL: {tree.get('error_message')}")
    tables: set[str] = set()
    ctes: set[str] = set()
    _walk(tree, tables, ctes)
    return frozenset(tables - ctes)


def _walk(node, tables: set[str], ctes: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and "table_name" in node:
            tables.add(node["table_name"].lower())
        for entry in (node.get("cte_map") or {}).get("map", []):
            ctes.add(entry["key"].lower())
        for value in node.values():
            _walk(value, tables, ctes)
    elif isinstance(node, list):
        for value in node:
            _walk(value, tables, ctes)


def parse_model(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> Model:
    """Read one model file; a malformed header is a JoblensError naming the file and field."""
    name = path.stem
    if not _NAME.match(name):
        raise JoblensError(f"{path}: model file name must be a lowercase table name")
    sql = path.read_text()
    header = [line.strip() for line in sql.splitlines() if line.strip().startswith("--")]
    if not header or not header[0].removeprefix("--").strip().startswith(f"{name}:"):
        raise JoblensError(f"{path}: first line must be '-- {name}: <purpose and grain>'")
    description = _description(header, name)
    directives = _directives(path, header)
    kind = directives.get("kind", "table")
    if kind not in KINDS:
        raise JoblensError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    audits = {k.split()[1]: _columns(v) for k, v in directives.items() if k.startswith("audit")}
    unknown = set(audits) - set(AUDIT_RULES)
    if unknown:
        raise JoblensError(f"{path}: unknown audit {sorted(unknown)[0]!r}")
    try:
        deps = referenced_tables(sql, con)
    except JoblensError as exc:
        raise JoblensError(f"{path}: {exc}") from None
    grain = _columns(directives.get("grain", ""))
    since = directives.get("since", "day")
    if not _NAME.match(since):
        raise JoblensError(f"{path}: since {since!r} must be a column name")
    return Model(name, sql, path, description, kind, grain, audits, deps, since, directives.get("retain"))


def _description(header: list[str], name: str) -> str:
    lines = []
    for line in header:
        text = line.removeprefix("--").strip()
        if _DIRECTIVE.match(line):
            break
        lines.append(text)
    return " ".join(lines).removeprefix(f"{name}:").strip()


def _directives(path: Path, header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in header:
        match = _DIRECTIVE.match(line)
        if match:
            key = " ".join(match.group(1).split())
            if key in found:
                raise JoblensError(f"{path}: '{key}' is declared twice")
            found[key] = match.group(2)
    return found


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


@dataclass(frozen=True)
class Catalog:
    """All models, in dependency order."""

    models: dict[str, Model]
    order: tuple[str, ...]

    def upstream_models(self, name: str) -> frozenset[str]:
        return frozenset(d for d in self.models[name].deps if d in self.models)

    def closure(self, names: set[str]) -> list[str]:
        """``names`` plus every model they read, transitively, in dependency order."""
        wanted = set(names)
        for name in reversed(self.order):
            if name in wanted:
                wanted |= self.upstream_models(name)
        return [n for n in self.order if n in wanted]


def load_catalog(directory: Path | None = None) -> Catalog:
    """Parse every model file and order them; unknown tables and cycles fail loudly."""
    files = model_files(directory) if directory else model_files()
    parser = duckdb.connect()  # one in-memory connection parses every file
    try:
        models = {m.name: m for m in (parse_model(p, parser) for p in files)}
    finally:
        parser.close()
    known = set(models) | set(LAKE_SOURCES) | set(SEED_TABLES)
    for model in models.values():
        unknown = sorted(model.deps - known)
        if unknown:
            raise JoblensError(f"{model.path}: reads {unknown[0]!r}, which is neither a model nor a source")
        if "getvariable(" in model.sql and CLOCK_MODEL not in model.deps:
            raise JoblensError(f"{model.path}: uses the clock variables, so it must read {CLOCK_MODEL}")
        lake_reads = sorted(model.deps & set(LAKE_SOURCES))
        if lake_reads and not model.name.startswith("stg_"):
            raise JoblensError(f"{model.path}: only stg_ models read the lake, not {lake_reads[0]!r}")
    graph = {name: {d for d in m.deps if d in models} for name, m in models.items()}
    try:
        order = tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise JoblensError(f"models depend on each other in a cycle: {' -> '.join(exc.args[1])}") from None
    return Catalog(models, order)
