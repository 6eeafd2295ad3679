"""Printing one run's record (``joblens jobs show``): Rich panels and tables, or one JSON document.

The tables fit the console. Numbers and times stay whole (numbers right-aligned);
identifiers such as ``document_summarization__summarize`` wrap only after an underscore,
dot or dash; prose wraps anywhere. A section whose times all fall on one date shows the
clock only and names the date in its title. When a section's complete table is wider than
the console, its lower-value columns are left out, last resort first, and one line under
the table names them and the width that shows them all.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from pipelines.cli.output import Format, _plain

Record = dict[str, tuple[list[str], list[tuple]]]
# The sections of a run's record, in the order they print, with their titles.
TITLES = {
    "timeline": "Lifecycle", "steps": "Steps (one row per attempt)", "errors": "Errors", "logs": "Logs",
    "snapshots": "Data snapshots", "model_calls": "Model calls and cost", "resources": "Resource use",
}
# A pipe or a file has no width of its own: it gets $COLUMNS when set, else at least this.
PIPE_WIDTH = 140
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
_PROSE = {"message", "fields", "preview", "stack_trace", "remediation"}
_PROSE_WIDEST, _PROSE_NARROWEST = 60, 14
_PART_WIDEST = 20  # a longer unbroken part (a hash) folds
# When columns must be left out, they go until every identifier takes two lines at most
# (support_ticket_triage__inputs at 15, not 8 and four lines), at a width of up to this.
_TWO_LINES_WIDEST = 24
_PARTS = re.compile(r"[^_.-]*[_.-]+|[^_.-]+")


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
        _render_rich(run_id, record, _console())


def _console():
    """A terminal at its own width; a pipe or file at ``$COLUMNS`` when set, else wide enough for whole tables."""
    from rich.console import Console

    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console
    return Console(width=max(PIPE_WIDTH, console.width))


def _render_rich(run_id: str, record: Record, console) -> None:
    from rich.panel import Panel

    console.print(Panel(_summary(record["run"]), title=f"run {run_id}", expand=False))
    for name in TITLES:
        columns, rows = record[name]
        if not rows:
            console.print(f"[dim]{TITLES[name]}: none recorded[/dim]")
            continue
        shown = [c for c in columns if not (name == "errors" and c in _ERROR_DETAIL)]
        table, omitted, complete = _fitted(name, columns, shown, rows, console.width)
        console.print(table)
        if omitted:
            console.print(f"[dim]narrow terminal: {', '.join(omitted)} not shown; "
                          f"widen to {complete} columns or use --format json[/dim]")
        if name == "errors":
            for row in rows:
                console.print(_error_panel(dict(zip(columns, row))))


def _fitted(name: str, columns: list[str], shown: list[str], rows: list[tuple], width: int):
    """The section's table within ``width``: (table, the columns left out, the width the complete table needs)."""
    day = _one_day(rows)
    layout = [_Column(c, [row[columns.index(c)] for row in rows], day) for c in shown]
    complete = _narrowest(layout)
    omitted: list[str] = []
    if complete > width:  # columns must go: as many as leave every identifier two lines at most
        for column in NARROW_OMIT.get(name, ()):
            if _narrowest(layout, readable=True) <= width:
                break
            omitted += [c.name for c in layout if c.name == column]
            layout = [c for c in layout if c.name != column]
    title = TITLES[name] if day is None else f"{TITLES[name]} · {day}"
    return _table(title, layout, _widths(layout, width)), omitted, complete


class _Column:
    """One column's cells as text, what kind they are, and the narrowest and widest it lays out."""

    def __init__(self, name: str, values: list, day: str | None) -> None:
        present = [v for v in values if v is not None]
        self.name = name
        self.texts = [_cell(v, day) for v in values]
        if name in _PROSE:
            self.kind = "prose"
        elif not present:
            self.kind = "empty"
        elif all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in present):
            self.kind = "number"
        elif all(isinstance(v, datetime) for v in present):
            self.kind = "time"
        else:
            self.kind = "identifier"
        if self.whole:
            self.narrowest = self.widest = max([_Identifier(name, header=True).widest] + [len(t) for t in self.texts])
            self.readable = self.narrowest
        elif self.kind == "prose":
            self.widest = min(_PROSE_WIDEST, max(len(line) for t in [name, *self.texts] for line in t.splitlines() or [""]))
            self.narrowest = self.readable = min(_PROSE_NARROWEST, self.widest)
        else:
            identifiers = [_Identifier(t) for t in [name, *self.texts]]
            self.widest = max(i.widest for i in identifiers)
            self.narrowest = min(_PART_WIDEST, max(i.narrowest for i in identifiers))
            # every value in two lines at most, when columns are left out to make room
            self.readable = max(self.narrowest, min(_TWO_LINES_WIDEST, max(i.two_lines for i in identifiers)))

    @property
    def whole(self) -> bool:
        return self.kind in ("number", "time", "empty")


def _overhead(count: int) -> int:
    return 2 * (count - 1)  # a space of padding and one of border between columns, none at the edges


def _narrowest(layout: list[_Column], readable: bool = False) -> int:
    return sum(c.readable if readable else c.narrowest for c in layout) + _overhead(len(layout))


def _widths(layout: list[_Column], width: int) -> list[int | None]:
    """Each column's width when the table must be narrower than its widest (else Rich's own)."""
    if sum(c.widest for c in layout) + _overhead(len(layout)) <= width:
        return [None] * len(layout)
    readable = _narrowest(layout, readable=True) <= width
    widths = [c.readable if readable else c.narrowest for c in layout]
    spare = max(0, width - _narrowest(layout, readable))
    # Identifiers first, the shortest first, each whole or not at all: one line of a step key
    # or an error code reads better than a few more letters; prose shares what is left.
    for i in sorted(range(len(layout)), key=lambda i: layout[i].widest):
        if layout[i].kind == "identifier" and layout[i].widest - widths[i] <= spare:
            spare -= layout[i].widest - widths[i]
            widths[i] = layout[i].widest
    prose = [i for i, c in enumerate(layout) if c.kind == "prose"]
    for rank, i in enumerate(sorted(prose, key=lambda i: layout[i].widest)):
        grant = min(layout[i].widest - widths[i], spare // (len(prose) - rank))
        widths[i] += grant
        spare -= grant
    # what neither took widens the identifiers still folded, so they take fewer lines
    folded = [i for i, c in enumerate(layout) if c.kind == "identifier" and widths[i] < c.widest]
    for rank, i in enumerate(folded):
        grant = min(layout[i].widest - widths[i], spare // (len(folded) - rank))
        widths[i] += grant
        spare -= grant
    return widths


def _table(title: str, layout: list[_Column], widths: list[int | None]):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)
    for column, width in zip(layout, widths):
        header = _Identifier(column.name, header=column.whole)
        table.add_column(header, justify="right" if column.kind == "number" else "left", width=width,
                         no_wrap=column.whole, overflow="ellipsis" if column.whole else "fold",
                         max_width=_PROSE_WIDEST if column.kind == "prose" else None)
    for i in range(len(layout[0].texts)):
        table.add_row(*[_Identifier(c.texts[i]) if c.kind == "identifier" else Text(c.texts[i]) for c in layout])
    return table


class _Identifier:
    """Text that wraps only after an underscore, dot or dash; a part wider than the column folds.

    As a header over numbers or times it takes two lines when that saves width
    (``wait_`` / ``before_s``), so a column of short numbers stays narrow.
    """

    def __init__(self, text: str, header: bool = False) -> None:
        self.text = text
        self.parts = _PARTS.findall(text) or [""]
        self.narrowest = max(len(p) for p in self.parts)
        self.widest = len(text)
        if header:
            self.widest = len(text) if len(text) - self.two_lines <= 2 else self.two_lines

    @cached_property
    def two_lines(self) -> int:
        """The narrowest width at which it takes two lines at most."""
        return next(w for w in range(self.narrowest, len(self.text) + 1) if len(self.lines(w)) <= 2)

    def lines(self, width: int) -> list[str]:
        lines = [""]
        for part in self.parts:
            if lines[-1] and len(lines[-1]) + len(part) > width:
                lines.append("")
            lines[-1] += part
        width = max(width, 1)
        return [line[i:i + width] for line in lines for i in range(0, max(len(line), 1), width)]

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement(min(self.narrowest, _PART_WIDEST), self.widest).with_maximum(options.max_width)

    def __rich_console__(self, console, options):
        from rich.text import Text

        yield Text("\n".join(self.lines(options.max_width)))


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
