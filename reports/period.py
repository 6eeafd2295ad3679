"""Report periods: a half-open range of UTC days, its stamp and the period before it.

A run belongs to the day it ended (the models' ``day`` column), so a period is a range
of days ``[start, end)``. Scheduled reports cover the last *complete* period: the daily
report generated on the 29th covers the 28th.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from reports.errors import ReportError

PERIODS = ("daily", "weekly", "monthly", "custom")
_RELATIVE = re.compile(r"^(\d+)d$")


@dataclass(frozen=True)
class Period:
    """Days ``start`` (inclusive) to ``end`` (exclusive), and how they were chosen."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def stamp(self) -> str:
        """The file name of a report over this period: sortable, unique per period."""
        if self.kind == "daily":
            return self.start.isoformat()
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "monthly":
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}_{self.last_day.isoformat()}"

    @property
    def label(self) -> str:
        """How a reader sees the period in the report header."""
        if self.kind == "daily":
            return self.start.strftime("%A %d %B %Y")
        if self.kind == "weekly":
            return f"Week {self.stamp[-2:]}, {_span(self.start, self.last_day)}"
        if self.kind == "monthly":
            return self.start.strftime("%B %Y")
        return _span(self.start, self.last_day)

    def previous(self) -> "Period":
        """The period of the same kind and length just before this one."""
        if self.kind == "monthly":
            start = (self.start - timedelta(days=1)).replace(day=1)
            return Period("monthly", start, self.start)
        return Period(self.kind, self.start - timedelta(days=self.days), self.start)


def _span(first: date, last: date) -> str:
    if first == last:
        return first.strftime("%d %b %Y")
    return f"{first.strftime('%d %b %Y')} – {last.strftime('%d %b %Y')}"


def resolve_period(
    period: str = "daily", now: datetime | None = None, since: str | None = None, until: str | None = None
) -> Period:
    """The period a report covers: the last complete daily/weekly/monthly one before ``now``,
    or ``since``..``until`` (dates, inclusive; ``since`` may be relative like ``7d``)."""
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    if since or until:
        return _custom(today, since, until)
    if period == "daily":
        return Period("daily", today - timedelta(days=1), today)
    if period == "weekly":
        this_monday = today - timedelta(days=today.weekday())
        return Period("weekly", this_monday - timedelta(days=7), this_monday)
    if period == "monthly":
        first = today.replace(day=1)
        return Period("monthly", (first - timedelta(days=1)).replace(day=1), first)
    raise ReportError(f"unknown period {period!r}; periods are daily, weekly, monthly (or --since/--until)")


def _custom(today: date, since: str | None, until: str | None) -> Period:
    end = _parse_day(until, today, "--until") + timedelta(days=1) if until else today
    start = _parse_day(since, today, "--since") if since else end - timedelta(days=7)
    if start >= end:
        raise ReportError(f"--since {since} is after --until {until or today.isoformat()}")
    return Period("custom", start, end)


def _parse_day(text: str, today: date, option: str) -> date:
    relative = _RELATIVE.match(text.strip())
    if relative:
        return today - timedelta(days=int(relative.group(1)))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"{option} {text!r} is not a date (YYYY-MM-DD) or a number of days like 7d") from None
