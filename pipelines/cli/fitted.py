"""Tables that fit the console, for every command that prints one (``--format table``).

Numbers and times stay whole (numbers right-aligned); identifiers such as
``document_summarization__summarize`` or a run id wrap only after an underscore, dot or
dash; prose (text with spaces) wraps anywhere. When the complete table is wider than the
console, the columns a command names as least needed are left out, in its order, until
every identifier takes two lines at most, and one line under the table names them and
the width that shows them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

# A pipe or a file has no width of its own: it gets $COLUMNS when set, else at least this.
PIPE_WIDTH = 240
_PROSE_WIDEST, _PROSE_NARROWEST = 60, 14
_PART_WIDEST = 20  # a longer unbroken part (a hash) folds
# When columns must be left out, they go until every identifier takes two lines at most
# (support_ticket_triage__inputs at 15, not 8 and four lines), at a width of up to this.
_TWO_LINES_WIDEST = 24
_PARTS = re.compile(r"[^_.-]*[_.-]+|[^_.-]+")
_SPACE = re.compile(r"\s")


def console():
    """A terminal at its own width; a pipe or file at ``$COLUMNS`` when set, else wide enough for whole tables."""
    from rich.console import Console

    out = Console()
    if out.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return out
    return Console(width=max(PIPE_WIDTH, out.width))


@dataclass
class Fitted:
    """A table laid out for a width, the columns it leaves out, and the width the complete table needs."""

    table: Any
    omitted: list[str]
    complete: int

    def print(self, out) -> None:
        out.print(self.table)
        if self.omitted:
            out.print(f"[dim]narrow terminal: {', '.join(self.omitted)} not shown; "
                      f"widen to {self.complete} columns or use --format json[/dim]")


def fit(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int,
        cell: Callable[[Any], str], omit: Sequence[str] = ()) -> Fitted:
    """``rows`` (tuples in ``columns`` order) as a table within ``width``; ``omit``: the columns
    that may be left out when it does not fit, first to go first."""
    layout = [Column(str(c), [row[i] for row in rows], cell) for i, c in enumerate(columns)]
    complete = _narrowest(layout)
    omitted: list[str] = []
    if complete > width:  # columns must go: as many as leave every identifier two lines at most
        for column in omit:
            if _narrowest(layout, readable=True) <= width:
                break
            omitted += [c.name for c in layout if c.name == column]
            layout = [c for c in layout if c.name != column]
    return Fitted(_table(title, layout, _widths(layout, width)), omitted, complete)


class Column:
    """One column's cells as text, what kind they are, and the narrowest and widest it lays out."""

    def __init__(self, name: str, values: list, cell: Callable[[Any], str]) -> None:
        present = [v for v in values if v is not None]
        self.name = name
        self.texts = [cell(v) for v in values]
        if any(isinstance(v, str) and _SPACE.search(v) for v in present):
            self.kind = "prose"
        elif not present:
            self.kind = "empty"
        elif all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in present):
            self.kind = "number"
        elif all(isinstance(v, date) for v in present):  # datetimes too
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


def _narrowest(layout: list[Column], readable: bool = False) -> int:
    return sum(c.readable if readable else c.narrowest for c in layout) + _overhead(len(layout))


def _widths(layout: list[Column], width: int) -> list[int | None]:
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


def _table(title: str | None, layout: list[Column], widths: list[int | None]):
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
    for i in range(len(layout[0].texts) if layout else 0):
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
