"""The data model of a report: what it says, kept apart from how it is drawn.

Kind builders fill these from the warehouse; the renderer turns them into HTML or PDF.
Everything here is plain data (numbers, strings, dicts of Vega-Lite), so a report can be
compared, serialized or summarized without rendering it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reports.period import Period


@dataclass(frozen=True)
class Metric:
    """A headline number, with the previous period's value when there is one."""

    label: str
    value: float | int | None
    fmt: str = "int"
    previous: float | int | None = None
    better: str | None = None  # "up", "down" or None: which direction is good news

    @property
    def change(self) -> float | None:
        """Change against the previous period: a ratio, or points for a rate."""
        if self.value is None or self.previous is None:
            return None
        if self.fmt == "pct":
            return self.value - self.previous
        if self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous)

    @property
    def tone(self) -> str:
        change = self.change
        if change is None or self.better is None or abs(change) < 1e-9:
            return "neutral"
        return "good" if (change > 0) == (self.better == "up") else "bad"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    fmt: str = "text"  # see reports.formatting.FORMATS


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    empty_text: str = "Nothing to show for this period."
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite chart; ``spec`` is a plain dict, drawn as SVG or by the embedded Vega runtime."""

    title: str
    spec: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Note:
    text: str
    tone: str = "info"  # "info", "warn" or "empty"


Block = Metric | Table | Chart | Note


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""

    @property
    def metrics(self) -> list[Metric]:
        return [b for b in self.blocks if isinstance(b, Metric)]

    @property
    def others(self) -> list[Block]:
        return [b for b in self.blocks if not isinstance(b, Metric)]


@dataclass(frozen=True)
class Coverage:
    """The data a report read: row counts per table and the latest event the warehouse knows."""

    rows: dict[str, int]
    latest_event_at: datetime | None
    runs_in_period: int


@dataclass
class Report:
    title: str
    kind: str
    period: Period | None
    generated_at: datetime
    coverage: Coverage
    sections: list[Section]
    team: str | None = None
    dagster_url: str = "http://127.0.0.1:3000"
    previous: Period | None = None
    empty: bool = False
    facts: dict[str, str] = field(default_factory=dict)  # more header lines, e.g. a dashboard's parameters

    def run_url(self, run_id: str) -> str:
        return f"{self.dagster_url.rstrip('/')}/runs/{run_id}"

    @property
    def headline(self) -> list[Metric]:
        """The first section's numbers: what a summary line or the Dagster UI shows."""
        return self.sections[0].metrics if self.sections else []
