"""Custom dashboards: a YAML file of SQL sections over the warehouse, drawn with the report machinery.

A dashboard file (``reports/dashboards/*.yaml``, or ``$JOBLENS_HOME/dashboards/*.yaml``)::

    title: Model spend
    params: {days: 30}                     # defaults; bound as $days, never pasted into SQL
    sections:
      - title: Cost per day by model
        sql: select day, model, sum(cost_usd) as cost_usd from agg_cost_daily
             where day >= current_date - $days::integer group by all
        chart: area                        # line, bar, area, table or number
        x: day
        y: {field: cost_usd, title: Cost (USD)}
        color: model

Every error names the file and the section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import yaml

from reports import charts
from reports.errors import ReportError
from reports.model import Column, Coverage, Metric, Note, Report, Section, Table
from reports.warehouse import execute

CHART_KINDS = ("line", "bar", "area", "table", "number")
_ENCODING = {"oneOf": [{"type": "string"}, {"type": "object", "required": ["field"], "additionalProperties": False,
             "properties": {"field": {"type": "string"}, "title": {"type": "string"}, "format": {"type": "string"}}}]}
SCHEMA = {
    "type": "object",
    "required": ["title", "sections"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "params": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
        "sections": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["title", "sql", "chart"],
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string"}, "sql": {"type": "string"}, "description": {"type": "string"},
                "chart": {"enum": list(CHART_KINDS)},
                "x": _ENCODING, "y": _ENCODING, "color": _ENCODING, "value": _ENCODING,
                "columns": {"type": "array", "items": _ENCODING},
            },
        }},
    },
}


@dataclass(frozen=True)
class Dashboard:
    name: str
    path: Path
    spec: dict[str, Any]

    @property
    def title(self) -> str:
        return self.spec["title"]


def find_dashboard(name: str, search_dirs: list[Path]) -> Path:
    """The file of dashboard ``name``: a path to a YAML file, or ``<dir>/<name>.yaml`` in the first dir that has it."""
    direct = Path(name)
    if direct.suffix in (".yaml", ".yml") and direct.is_file():
        return direct
    for folder in search_dirs:
        for suffix in (".yaml", ".yml"):
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    known = sorted({p.stem for d in search_dirs if d.is_dir() for p in d.glob("*.y*ml")})
    raise ReportError(f"no dashboard named {name!r}; dashboards are: {', '.join(known) or 'none'}")


def load_dashboard(path: Path) -> Dashboard:
    """Parse and validate a dashboard file; errors name the file and the section."""
    try:
        spec = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"{path}: not a readable YAML file: {str(exc).splitlines()[0]}") from None
    try:
        jsonschema.validate(spec, SCHEMA)
    except jsonschema.ValidationError as exc:
        raise ReportError(f"{path}: {_where(spec, list(exc.absolute_path))}{exc.message}") from None
    return Dashboard(path.stem, path, spec)


def _where(spec: Any, location: list) -> str:
    if len(location) >= 2 and location[0] == "sections" and isinstance(spec, dict):
        section = spec["sections"][location[1]]
        title = section.get("title", f"#{location[1] + 1}") if isinstance(section, dict) else f"#{location[1] + 1}"
        field = f" field {location[2]!r}" if len(location) > 2 else ""
        return f"section {title!r}{field}: "
    return f"field {'.'.join(map(str, location))!r}: " if location else ""


def resolve_params(dashboard: Dashboard, overrides: dict[str, str]) -> dict[str, Any]:
    """The declared defaults with ``overrides`` applied, each converted to its default's type."""
    defaults = dashboard.spec.get("params") or {}
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ReportError(f"{dashboard.path}: unknown parameter {', '.join(unknown)}; parameters are: {', '.join(defaults) or 'none'}")
    params = dict(defaults)
    for key, raw in overrides.items():
        kind = type(defaults[key])
        try:
            params[key] = raw if defaults[key] is None or kind is str else (raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw))
        except ValueError:
            raise ReportError(f"{dashboard.path}: parameter {key}={raw!r} is not a {kind.__name__}") from None
    return params


def _encoding(value: Any, default_title: str = "") -> tuple[str, str, str]:
    if isinstance(value, dict):
        return value["field"], value.get("title", value["field"].replace("_", " ").capitalize()), value.get("format", "")
    return value, default_title or str(value).replace("_", " ").capitalize(), ""


def _guess_fmt(values: list[Any]) -> str:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, datetime):
        return "datetime"
    if hasattr(sample, "isoformat"):
        return "date"
    if isinstance(sample, bool):
        return "bool"
    if isinstance(sample, int):
        return "int"
    return "float" if isinstance(sample, float) else "text"


def _query(con: duckdb.DuckDBPyConnection, dashboard: Dashboard, section: dict, params: dict) -> tuple[list[str], list[dict]]:
    try:
        cursor = execute(con, section["sql"], params)
        names = [d[0] for d in cursor.description]
        return names, [dict(zip(names, row)) for row in cursor.fetchall()]
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        raise ReportError(f"{dashboard.path}: section {section['title']!r}: query failed: {message}") from None


def _check_columns(dashboard: Dashboard, section: dict, names: list[str]) -> None:
    wanted = [section[k] for k in ("x", "y", "color", "value") if k in section] + list(section.get("columns", []))
    for item in wanted:
        field = _encoding(item)[0]
        if field not in names:
            raise ReportError(
                f"{dashboard.path}: section {section['title']!r}: unknown column {field!r}; the query returns: {', '.join(names)}"
            )


def _block(section: dict, names: list[str], rows: list[dict]) -> list:
    kind, title = section["chart"], section["title"]
    if kind == "number":
        field, label, fmt = _encoding(section.get("value", names[0]), title)
        value = rows[0][field] if rows else None
        return [Metric(label, value, fmt or _guess_fmt([value]))]
    if kind in ("line", "bar", "area"):
        for key in ("x", "y"):
            if key not in section:
                raise ReportError(f"section {title!r}: a {kind} chart needs '{key}'")
        colour = _encoding(section["color"]) if "color" in section else None
        # The section heading already names it: the chart itself carries no second title.
        chart = charts.encoded(kind, "", rows, _encoding(section["x"]), _encoding(section["y"]), colour)
        if chart:
            return [chart]
        note = Note("Fewer than two points: shown as a table rather than as a trend.")
        return [note, _table("", names, rows, [section[k] for k in ("x", "y", "color") if k in section])]
    return [_table("", names, rows, section.get("columns") or names)]


def _table(title: str, names: list[str], rows: list[dict], columns: list) -> Table:
    cols = []
    for item in columns:
        field, label, fmt = _encoding(item)
        cols.append(Column(field, label, fmt if fmt in ("int", "float", "pct", "usd", "seconds", "mb", "date", "datetime", "run") else _guess_fmt([r[field] for r in rows])))
    return Table(title, tuple(cols), rows, "The query returned no rows.")


def build_dashboard(
    con: duckdb.DuckDBPyConnection, dashboard: Dashboard, params: dict[str, Any], generated_at: datetime,
    dagster_url: str = "http://127.0.0.1:3000",
) -> Report:
    """Run every section's query (parameters bound) and lay the results out as a report."""
    con.execute("set timezone = 'UTC'")
    sections = []
    for section in dashboard.spec["sections"]:
        names, rows = _query(con, dashboard, section, params)
        _check_columns(dashboard, section, names)
        try:
            blocks = _block(section, names, rows)
        except ReportError as exc:
            raise ReportError(f"{dashboard.path}: {exc}") from None
        sections.append(Section(section["title"], blocks, section.get("description", "")))
    report = Report(dashboard.title, "dashboard", None, generated_at, _coverage(con), sections, dagster_url=dagster_url)
    report.facts["Dashboard"] = str(dashboard.path.name)
    if params:
        report.facts["Parameters"] = ", ".join(f"{k} = {v}" for k, v in params.items())
    return report


def _coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    try:
        runs, steps, latest = con.execute(
            "select (select count(*) from fct_runs), (select count(*) from fct_steps), "
            "(select max(coalesce(ended_at, started_at, queued_at)) from fct_runs)"
        ).fetchone()
    except duckdb.Error:
        return Coverage({}, None, 0)
    return Coverage({"fct_runs": runs, "fct_steps": steps}, latest, 0)
