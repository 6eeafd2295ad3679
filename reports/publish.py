"""Writing rendered reports: ``<reports>/<kind>/<period-stamp>.{html,pdf}``, each file atomically."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from reports.build import DEFAULT_DAGSTER_URL, build_report
from reports.errors import ReportError
from reports.model import Chart, Report
from reports.period import Period
from reports.render import chart_png, render_html, render_pdf
from reports.warehouse import open_warehouse

FORMATS = ("html", "pdf")


@dataclass
class RenderedReport:
    """A report's data model and the files it was written to, by format."""

    report: Report
    paths: dict[str, Path] = field(default_factory=dict)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def parse_formats(text: str | tuple[str, ...]) -> tuple[str, ...]:
    """``"html,pdf"`` → ``("html", "pdf")``, rejecting anything else."""
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not items:
        raise ReportError(f"unknown format {', '.join(unknown) or repr(text)}; formats are: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def report_stem(out_dir: Path, kind: str, stamp: str, team: str | None = None) -> Path:
    """Where a report lives, without its extension; a team's report sits beside the full one."""
    suffix = f"-team-{re.sub(r'[^A-Za-z0-9_.-]+', '_', team)}" if team else ""
    return out_dir / kind / f"{stamp}{suffix}"


def write_report(report: Report, stem: Path, formats: tuple[str, ...]) -> RenderedReport:
    rendered = RenderedReport(report)
    for fmt in formats:
        data = render_html(report).encode() if fmt == "html" else render_pdf(report)
        rendered.paths[fmt] = write_atomic(stem.with_name(f"{stem.name}.{fmt}"), data)
    return rendered


def preview_png(report: Report, scale: float = 0.6) -> bytes | None:
    """A small image of the report's first chart, for places that show a thumbnail."""
    chart = next((b for s in report.sections for b in s.blocks if isinstance(b, Chart)), None)
    return chart_png(chart, scale) if chart else None


def generate_report(
    warehouse: Path,
    out_dir: Path,
    kind: str,
    period: Period,
    formats: tuple[str, ...] = FORMATS,
    team: str | None = None,
    now: datetime | None = None,
    dagster_url: str = DEFAULT_DAGSTER_URL,
) -> RenderedReport:
    """Query the warehouse, build the report and write it in each format."""
    generated_at = now or datetime.now(timezone.utc)
    with open_warehouse(warehouse) as con:
        report = build_report(con, kind, period, generated_at, team, dagster_url)
    return write_report(report, report_stem(Path(out_dir), kind, period.stamp, team), formats)


def generate_dashboard(
    warehouse: Path,
    out_dir: Path,
    dashboard_file: Path,
    overrides: dict[str, str] | None = None,
    formats: tuple[str, ...] = FORMATS,
    now: datetime | None = None,
    dagster_url: str = DEFAULT_DAGSTER_URL,
) -> RenderedReport:
    """Render a dashboard file to ``<reports>/dashboards/<name>.{html,pdf}``."""
    from reports.dashboards import build_dashboard, load_dashboard, resolve_params

    dashboard = load_dashboard(Path(dashboard_file))
    params = resolve_params(dashboard, overrides or {})
    with open_warehouse(warehouse) as con:
        report = build_dashboard(con, dashboard, params, now or datetime.now(timezone.utc), dagster_url)
    return write_report(report, Path(out_dir) / "dashboards" / dashboard.name, formats)
