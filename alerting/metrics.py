"""Named metrics over the warehouse models, and user SQL returning ``key, value`` rows.

A metric returns samples: the labels that identify an alert (``job``, ``job_type``, ``team``,
``model``…), a value, and details shown in the message. Label names map to model columns through
fixed tables below, so a rule can only ever group by known columns; every value goes in as a
bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from alerting.errors import AlertingError

RUN_LABELS = {"job": "job_name", "job_type": "job_type", "team": "team"}


@dataclass(frozen=True)
class Sample:
    labels: dict
    value: float
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MetricContext:
    con: object  # a DuckDB connection on the warehouse, read-only
    now: datetime
    window: timedelta
    group_by: tuple[str, ...]
    params: dict
    lake: Path | None = None

    @property
    def start(self) -> datetime:
        return self.now - self.window


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    compute: Callable[[MetricContext], list[Sample]]
    labels: tuple[str, ...]
    default_labels: tuple[str, ...]
    params: dict = field(default_factory=dict)


METRICS: dict[str, Metric] = {}


def metric(name: str, labels: tuple[str, ...], default_labels: tuple[str, ...], **params):
    """Register a named metric; its docstring is what ``joblens alerts`` shows."""

    def register(fn: Callable[[MetricContext], list[Sample]]) -> Callable[[MetricContext], list[Sample]]:
        METRICS[name] = Metric(name, (fn.__doc__ or "").strip().splitlines()[0], fn, labels, default_labels, params)
        return fn

    return register


def grouped(ctx: MetricContext, columns: dict[str, str]) -> tuple[str, str]:
    """``select`` and ``group by`` lists of the rule's labels, from the fixed label→column map."""
    chosen = [label for label in ctx.group_by if label in columns]
    select = ", ".join(f"{columns[label]} as {label}" for label in chosen)
    return (select + ", ") if select else "", ", ".join(columns[label] for label in chosen) or "()"


def rows_to_samples(cursor, group_by: tuple[str, ...], value_column: str = "value") -> list[Sample]:
    columns = [d[0] for d in cursor.description]
    samples = []
    for row in cursor.fetchall():
        record = dict(zip(columns, row))
        if record.get(value_column) is None:
            continue
        labels = {label: _label_text(record.get(label)) for label in group_by if label in record}
        info = {k: v for k, v in record.items() if k not in labels and k != value_column}
        samples.append(Sample(labels, float(record[value_column]), info))
    return samples


def _label_text(value) -> str:
    return "" if value is None else str(value)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run_sql_metric(ctx: MetricContext, sql: str) -> list[Sample]:
    """A user query returning ``key, value`` rows; it may use ``$now``, ``$window_start`` and its rule's params."""
    available = {"now": ctx.now, "window_start": ctx.start, **ctx.params}
    used = set(_PARAM.findall(sql))
    missing = sorted(used - set(available))
    if missing:
        raise AlertingError(f"field sql: parameter ${missing[0]} is neither $now, $window_start nor one of params")
    cursor = ctx.con.execute(sql, {name: available[name] for name in used})
    columns = [d[0].lower() for d in cursor.description]
    if "key" not in columns or "value" not in columns:
        raise AlertingError(f"field sql: the query returns {', '.join(columns)}; it must return key, value")
    key_at, value_at = columns.index("key"), columns.index("value")
    return [
        Sample({"key": _label_text(row[key_at])}, float(row[value_at]))
        for row in cursor.fetchall()
        if row[value_at] is not None
    ]


# The named metrics register themselves on import.
from alerting import metric_library  # noqa: E402,F401
