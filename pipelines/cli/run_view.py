"""Printing one run's record (``joblens jobs show``): Rich panels and tables, or one JSON document."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from pipelines.cli.output import Format, _plain

Record = dict[str, tuple[list[str], list[tuple]]]
TITLES = {
    "timeline": "Lifecycle", "steps": "Steps (one row per attempt)", "errors": "Errors", "logs": "Logs",
    "snapshots": "Data snapshots", "model_calls": "Model calls and cost", "resources": "Resource use",
}
_ERROR_DETAIL = {"stack_trace", "remediation", "doc_url"}
_WIDE = {"message", "fields", "preview", "stack_trace", "remediation"}


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
        _render_rich(run_id, record)


def _render_rich(run_id: str, record: Record) -> None:
    from rich.console import Console
    from rich.panel import Panel

    console = Console(width=max(140, Console().width))
    console.print(Panel(_summary(record["run"]), title=f"run {run_id}", expand=False))
    for name in ("timeline", "steps", "errors", "logs", "snapshots", "model_calls", "resources"):
        columns, rows = record[name]
        if not rows:
            console.print(f"[dim]{TITLES[name]}: none recorded[/dim]")
            continue
        shown = [c for c in columns if not (name == "errors" and c in _ERROR_DETAIL)]
        console.print(_table(TITLES[name], columns, shown, rows))
        if name == "errors":
            for row in rows:
                console.print(_error_panel(dict(zip(columns, row))))


def _error_panel(error: dict):
    from rich.markup import escape
    from rich.panel import Panel

    where = f"{error['step_key'] or 'run'} attempt {error['attempt'] or '-'}"
    body = (f"[bold]{escape(error['error_code'])}[/bold] — {escape(error['remediation'] or 'no remediation on record')}\n"
            f"[dim]{escape(error['doc_url'] or '')}[/dim]\n\n{escape(error['stack_trace'] or error['message'] or '')}")
    return Panel(body, title=f"{where}: {escape(error['error_class'] or '')}", expand=False)


def _summary(run: tuple[list[str], list[tuple]]) -> str:
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
            lines.append(f"[bold]{key}[/bold]: {_cell(value)}")
    return "\n".join(lines)


def _table(title: str, columns: list[str], shown: list[str], rows: list[tuple]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for column in shown:
        table.add_column(column, overflow="fold", max_width=60 if column in _WIDE else None)
    positions = [columns.index(c) for c in shown]
    for row in rows:
        table.add_row(*[_cell(row[i]) for i in positions])
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return str(_plain(value))
