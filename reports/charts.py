"""Chart builders: rows in, a Vega-Lite spec (via Altair) out, drawn the JobLens way.

Every chart has titled axes with units, UTC dates as "28 Nov", the palette's colours for
job types, statuses and models, and no chart pretends a single point is a trend: a
builder returns ``None`` when there are fewer than two days, and the caller shows the
numbers as a table instead.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Callable

import altair as alt
from altair.utils.schemapi import debug_mode

from reports import palette
from reports.model import Chart

WIDTH = 600
HEIGHT = 200
_DAY = "utcyearmonthdate"
_CONFIG = {
    "font": "DejaVu Sans, Helvetica, Arial, sans-serif",
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal", "gridColor": "#e8e8e8"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "top"},
    "view": {"stroke": None},
}


def _unchecked(builder: Callable) -> Callable:
    """Build without Altair's per-object JSON-schema checks (~5 ms a chart); the specs are fixed code."""

    @functools.wraps(builder)
    def build(*args, **kwargs):
        with debug_mode(False):
            return builder(*args, **kwargs)

    return build


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):
        # DuckDB's parallel sums differ in the last bits between runs; charts need no more than this.
        return round(float(value), 9)
    return value


def _values(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Plain JSON rows (dates as ISO strings) with only the fields the chart encodes."""
    return [{name: _plain(row.get(name)) for name in fields} for row in rows]


def _colour(field: str, title: str, rows: list[dict[str, Any]]) -> alt.Color:
    domain, colours = palette.scale_for(field, [str(r[field]) for r in rows if r.get(field) is not None])
    legend = alt.Legend(columns=4) if len(domain) > 4 else alt.Undefined
    return alt.Color(f"{field}:N", title=title, scale=alt.Scale(domain=domain, range=colours), legend=legend)


def _spec(chart: alt.Chart) -> dict[str, Any]:
    spec = chart.properties(width=WIDTH, height=HEIGHT).to_dict(validate=False)
    spec["config"] = _CONFIG
    return spec


# On a discrete axis of many days, label every seventh day (1, 8, 15, 22, 29) and leave the ticks.
_WEEKLY_LABELS = "(utcdate(datum.value) - 1) % 7 == 0 ? utcFormat(datum.value, '%d %b') : ''"


def _day_axis(bars: bool = False, days: int = 0) -> alt.X:
    """Days in UTC as "28 Nov"; bars sit on discrete days so a bar never spills into the next one."""
    if not bars:
        axis = alt.Axis(format="%d %b", labelAngle=0, labelOverlap=True, tickCount=8)
        return alt.X(f"{_DAY}(day):T", title="Day (UTC)", axis=axis)
    labels = {"labelExpr": _WEEKLY_LABELS} if days > 10 else {"format": "%d %b", "formatType": "time"}
    return alt.X(f"{_DAY}(day):O", title="Day (UTC)", axis=alt.Axis(labelAngle=0, **labels))


def distinct_days(rows: list[dict[str, Any]]) -> int:
    return len({r["day"] for r in rows if r.get("day") is not None})


@_unchecked
def daily_stacked_bars(
    title: str, rows: list[dict[str, Any]], value: str, value_title: str, colour: str, colour_title: str
) -> Chart | None:
    """Counts per day stacked by ``colour`` (e.g. runs by status); None for fewer than two days."""
    if distinct_days(rows) < 2:
        return None
    data = alt.Data(values=_values(rows, ("day", value, colour)))
    chart = alt.Chart(data).mark_bar().encode(
        x=_day_axis(bars=True, days=distinct_days(rows)),
        y=alt.Y(f"sum({value}):Q", title=value_title),
        color=_colour(colour, colour_title, rows),
        tooltip=[alt.Tooltip(f"{_DAY}(day):T", title="Day", format="%d %b %Y"), f"{colour}:N", alt.Tooltip(f"sum({value}):Q", title=value_title)],
    )
    return Chart(title, _spec(chart), f"{value_title} per day by {colour_title.lower()}")


def _count_axis(top: float) -> alt.Axis:
    """Whole-number ticks for small counts (Vega would put ticks at 0.5)."""
    if top <= 10:
        return alt.Axis(values=list(range(0, int(top) + 1)), format="d")
    return alt.Axis(format=",d")


@_unchecked
def daily_bars(title: str, rows: list[dict[str, Any]], value: str, value_title: str) -> Chart | None:
    """One bar per day in the accent colour; None for fewer than two days."""
    if distinct_days(rows) < 2:
        return None
    data = alt.Data(values=_values(rows, ("day", value)))
    chart = alt.Chart(data).mark_bar(color=palette.ACCENT).encode(
        x=_day_axis(bars=True, days=distinct_days(rows)),
        y=alt.Y(f"{value}:Q", title=value_title, axis=_count_axis(max((r[value] or 0) for r in rows))),
        tooltip=[alt.Tooltip(f"{_DAY}(day):T", title="Day", format="%d %b %Y"), alt.Tooltip(f"{value}:Q", title=value_title)],
    )
    return Chart(title, _spec(chart), f"{value_title} per day")


@_unchecked
def daily_lines(
    title: str, rows: list[dict[str, Any]], value: str, value_title: str, colour: str, colour_title: str,
    axis_format: str = ",.2~f",
) -> Chart | None:
    """One line per ``colour`` series over the days; None for fewer than two days."""
    if distinct_days(rows) < 2:
        return None
    data = alt.Data(values=_values(rows, ("day", value, colour)))
    chart = alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
        x=_day_axis(),
        y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=axis_format)),
        color=_colour(colour, colour_title, rows),
        tooltip=[alt.Tooltip(f"{_DAY}(day):T", title="Day", format="%d %b %Y"), f"{colour}:N", alt.Tooltip(f"{value}:Q", title=value_title, format=axis_format)],
    )
    return Chart(title, _spec(chart), f"{value_title} per day by {colour_title.lower()}")


@_unchecked
def forecast_lines(title: str, actual: list[dict[str, Any]], forecast: list[dict[str, Any]]) -> Chart | None:
    """Daily run volume, then its linear forecast as a dashed line."""
    if distinct_days(actual) < 2:
        return None
    rows = [{**r, "series": "actual"} for r in actual] + [{**r, "series": "forecast"} for r in forecast]
    data = alt.Data(values=_values(rows, ("day", "runs", "series")))
    chart = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=_day_axis(),
        y=alt.Y("runs:Q", title="Runs per day"),
        color=alt.Color("series:N", title="Series", scale=alt.Scale(domain=["actual", "forecast"], range=[palette.ACCENT, palette.NEUTRAL])),
        strokeDash=alt.StrokeDash("series:N", title="Series", scale=alt.Scale(domain=["actual", "forecast"], range=[[1, 0], [6, 4]])),
    )
    return Chart(title, _spec(chart), "Runs per day and the linear forecast")


@_unchecked
def ranked_bars(
    title: str, rows: list[dict[str, Any]], category: str, category_title: str, value: str, value_title: str,
    colour: str | None = None, colour_title: str = "", axis_format: str = ",.2~f",
) -> Chart | None:
    """Horizontal bars, largest first; None when there is nothing to compare."""
    if not rows:
        return None
    fields = (category, value) + ((colour,) if colour else ())
    encodings = dict(
        y=alt.Y(f"{category}:N", title=category_title, sort="-x", axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=axis_format)),
        tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", title=value_title, format=axis_format)],
    )
    if colour:
        encodings["color"] = _colour(colour, colour_title, rows)
    chart = alt.Chart(alt.Data(values=_values(rows, fields))).mark_bar().encode(**encodings)
    spec = chart.properties(width=WIDTH - 200, height=max(60, 22 * len(rows))).to_dict(validate=False)
    spec["config"] = _CONFIG
    return Chart(title, spec, f"{value_title} by {category_title.lower()}")


def field_type(values: list[Any]) -> str:
    """Vega-Lite type of a result column from its Python values."""
    sample = next((v for v in values if v is not None), None)
    if hasattr(sample, "isoformat"):
        return "temporal"
    if isinstance(sample, (int, float, Decimal)) and not isinstance(sample, bool):
        return "quantitative"
    return "nominal"


@_unchecked
def encoded(
    mark: str, title: str, rows: list[dict[str, Any]], x: tuple[str, str, str], y: tuple[str, str, str],
    colour: tuple[str, str, str] | None = None,
) -> Chart | None:
    """A dashboard chart: ``mark`` (line, bar, area) over (field, title, format) encodings.

    None when the x axis is time or a number and has fewer than two values: one point is
    not a trend, the caller shows a table instead."""
    x_type = field_type([r.get(x[0]) for r in rows])
    if x_type != "nominal" and len({r.get(x[0]) for r in rows}) < 2:
        return None
    fields = (x[0], y[0]) + ((colour[0],) if colour else ())
    x_axis = alt.Axis(title=x[1], labelAngle=0, labelOverlap=True, **({"format": x[2]} if x[2] else {}))
    if mark == "bar" and x_type == "temporal":  # one bar per day, not a sliver on a time scale
        x_encoding = alt.X(f"{_DAY}({x[0]}):O", axis=alt.Axis(title=x[1], labelAngle=0, labelOverlap=True,
                                                                 format=x[2] or "%d %b", formatType="time"))
    else:
        x_encoding = alt.X(x[0], type=x_type, axis=x_axis, scale=alt.Scale(type="utc") if x_type == "temporal" else alt.Undefined)
    encodings = dict(
        x=x_encoding,
        y=alt.Y(y[0], type="quantitative", stack=True if mark == "area" else alt.Undefined,
                axis=alt.Axis(title=y[1], **({"format": y[2]} if y[2] else {}))),
        tooltip=[alt.Tooltip(f, type=field_type([r.get(f) for r in rows])) for f in fields],
    )
    marks = {"line": {"type": "line", "point": True}, "bar": {"type": "bar"}, "area": {"type": "area", "opacity": 0.85}}
    if colour:
        encodings["color"] = _colour(colour[0], colour[1], rows)
    else:
        marks[mark]["color"] = palette.ACCENT
    chart = alt.Chart(alt.Data(values=_values(rows, fields)), mark=marks[mark]).encode(**encodings)
    return Chart(title, _spec(chart), f"{y[1]} by {x[1].lower()}")
