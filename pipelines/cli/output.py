"""Printing data the same way in every command: ``--format table|csv|json``."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Sequence

import typer


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-F", help="Output format.")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _cell(value: Any) -> str:
    """A value as a person reads it in a table: seconds-precision times, short numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, Decimal):
        return _cell(float(value))
    return str(value)


def emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format = Format.table, title: str | None = None,
         omit: Sequence[str] = ()) -> None:
    """Print ``rows`` (tuples in ``columns`` order) to stdout in ``fmt``. A table fits the console
    (``pipelines.cli.fitted``); on a narrow one the ``omit`` columns go first, in that order."""
    if fmt is Format.json:
        json.dump([{c: _plain(v) for c, v in zip(columns, row)} for row in rows], sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in row] for row in rows])
    else:
        from pipelines.cli import fitted

        out = fitted.console()
        fitted.fit(title, columns, rows, out.width, _cell, omit).print(out)


def emit_relation(relation, fmt: Format = Format.table, title: str | None = None, omit: Sequence[str] = ()) -> None:
    """Print a DuckDB relation or cursor result."""
    emit([d[0] for d in relation.description], relation.fetchall(), fmt, title, omit)
