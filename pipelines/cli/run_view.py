"""Printing one run's record (``joblens jobs show``): Rich panels and tables, or one JSON document.

Each section is a table that fits the console (``pipelines.cli.fitted``). A section whose
times all fall on one date shows the clock only and names the date in its title; a narrow
console leaves out a section's lower-value columns first (``NARROW_OMIT``).
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from functools import partial
from typing import Any

from pipelines.cli import fitted
from pipelines.cli.output import Format, _plain

Record = dict[str, tuple[list[str], list[tuple]]]
# The sections of a run's record, in the order they print, with their titles.
TITLES = {
    "timeline": "Lifecycle", "steps": "Steps (one row per attempt)", "errors": "Errors", "logs": "Logs",
    "snapshots": "Data snapshots", "model_calls": "Model calls and cost", "resources": "Resource use",
}
# Left out in this order, only as many as the console's width needs. A step's tokens, cost,
# CPU and memory are also in "Model calls and cost" and "Resource use" (per step, not per attempt).
NARROW_OMIT = {
    "steps": ("ended_at", "cpu_s", "peak_rss_mb", "input_tokens", "output_tokens", "cost_usd", "started_at"),
    "errors": ("signature", "transient", "error_class", "ts"),
    "logs": ("redacted_fields", "kind", "fields", "ts"),
    "snapshots": ("content_hash", "redacted_fields", "byte_count", "ts"),
    "model_calls": ("cached_input_tokens", "provider", "operation", "failed_calls"),
    "resources": ("cpu_s",),
}
_ERROR_DETAIL = {"stack_trace", "remediation", "doc_url"}


def as_document(run_id: str, record: Record) -> dict[str, Any]:
    """The record as one JSON-ready document: ``run`` an object, every other section a list."""
    doc: dict[str, Any] = {"run_id": run_id}
    for name, (columns, rows) in record.items():
        items = [{c: _plain(v) for c, v in zip(columns, row)} for row in rows]
        doc[name] = (items[0] if items else None) if name == "run" else items
    return doc


def render(run_id: str, record: Record, fmt: Format) -> None:
    if fmt is Format.json:
        json.dump(as_document(run_id, record), sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        for name, (columns, rows) in record.items():
            writer.writerow([f"# {name}"])
            writer.writerow(columns)
            writer.writerows([[_plain(v) for v in row] for row in rows])
    else:
        _render_rich(run_id, record, fitted.console())


def _render_rich(run_id: str, record: Record, console) -> None:
    from rich.panel import Panel

    console.print(Panel(_summary(record["run"]), title=f"run {run_id}", expand=False))
    for name in TITLES:
        columns, rows = record[name]
        if not rows:
            console.print(f"[dim]{TITLES[name]}: none recorded[/dim]")
            continue
        shown = [c for c in columns if not (name == "errors" and c in _ERROR_DETAIL)]
        _section(name, columns, shown, rows, console.width).print(console)
        if name == "errors":
            for row in rows:
                console.print(_error_panel(dict(zip(columns, row))))


def _section(name: str, columns: list[str], shown: list[str], rows: list[tuple], width: int) -> fitted.Fitted:
    """One section's table within ``width``, its one date (if any) in the title."""
    day = _one_day(rows)
    positions = [columns.index(c) for c in shown]
    title = TITLES[name] if day is None else f"{TITLES[name]} · {day}"
    return fitted.fit(title, shown, [[row[i] for i in positions] for row in rows], width,
                      partial(_cell, day=day), NARROW_OMIT.get(name, ()))


def _one_day(rows: list[tuple]) -> str | None:
    """The one date (and zone) all the section's times fall on, if there is one."""
    days = {v.strftime("%Y-%m-%d %Z").strip() for row in rows for v in row if isinstance(v, datetime)}
    return days.pop() if len(days) == 1 else None


def _error_panel(error: dict):
    from rich.markup import escape
    from rich.panel import Panel

    where = f"{error['step_key'] or 'run'} attempt {error['attempt'] or '-'}"
    body = (f"[bold]{escape(error['error_code'])}[/bold] — {escape(error['remediation'] or 'no remediation on record')}\n"
            f"[dim]{escape(error['doc_url'] or '')}[/dim]\n\n{escape(error['stack_trace'] or error['message'] or '')}")
    return Panel(body, title=f"{where}: {escape(error['error_class'] or '')}", expand=False)


def _summary(run: tuple[list[str], list[tuple]]) -> str:
    from rich.markup import escape

    columns, rows = run
    if not rows:
        return "not in the models yet"
    values = dict(zip(columns, rows[0]))
    keys = ["job_name", "job_type", "team", "status", "trigger", "trigger_source", "priority", "parent_run_id",
            "root_run_id", "queued_at", "started_at", "ended_at", "queue_wait_s", "duration_s", "step_count",
            "failed_steps", "step_retries", "input_tokens", "output_tokens", "cost_usd", "error_code", "error_signature"]
    lines = []
    for key in keys:
        value = values.get(key)
        if value is not None:
            lines.append(f"[bold]{key}[/bold]: {escape(_cell(value))}")
    return "\n".join(lines)


def _cell(value: Any, day: str | None = None) -> str:
    """A value as the view prints it; a time on the section's one ``day`` as its clock only."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%H:%M:%S.%f" if day else "%Y-%m-%d %H:%M:%S.%f")[:-3]
    return str(_plain(value))
