"""How numbers read in a report: one function per column format, used as Jinja2 filters."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable


def _int(value: Any) -> str:
    return f"{int(round(value)):,}"


def _float(value: Any) -> str:
    return f"{value:,.2f}"


def _pct(value: Any) -> str:
    return f"{value * 100:.1f} %"


def _usd(value: Any) -> str:
    sign = "-" if value < 0 else ""
    if value != 0 and abs(value) < 0.01:
        return f"{sign}${abs(value):.4f}"
    return f"{sign}${abs(value):,.2f}"


def _usd_change(value: Any) -> str:
    return ("+" if value > 0 else "") + _usd(value)


def _seconds(value: Any) -> str:
    value = float(value)
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(int(round(value)), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _mb(value: Any) -> str:
    return f"{value:,.0f} MB"


def _datetime(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _month(value: Any) -> str:
    return value.strftime("%B %Y") if isinstance(value, date) else str(value)


def _ratio_change(value: Any) -> str:
    return f"{value * 100:+.1f} %"


def _points_change(value: Any) -> str:
    return f"{value * 100:+.1f} pts"


def _bool(value: Any) -> str:
    return "yes" if value else "no"


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "prose": str,  # long text (messages, remediation) that may wrap anywhere
    "int": _int,
    "float": _float,
    "pct": _pct,
    "usd": _usd,
    "usd_change": _usd_change,
    "seconds": _seconds,
    "mb": _mb,
    "datetime": _datetime,
    "date": _date,
    "month": _month,
    "change": _ratio_change,
    "points": _points_change,
    "bool": _bool,
    "run": str,  # drawn as a link by the template
}


def format_value(value: Any, fmt: str = "text") -> str:
    """``value`` as a reader sees it; an absent value is an en dash, never "None" or "nan"."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return FORMATS.get(fmt, str)(value)


def format_change(metric) -> str:
    """A metric's change against the previous period: "+12.0 %", "-3.1 pts" or an en dash."""
    change = metric.change
    if change is None:
        return "–"
    return _points_change(change) if metric.fmt == "pct" else _ratio_change(change)


def short_run_id(run_id: str) -> str:
    """Dagster shows a run by its first 8 characters; the last 4 keep ids with a shared prefix apart."""
    return run_id if len(run_id) <= 14 else f"{run_id[:8]}…{run_id[-4:]}"
