"""Report assets: one per report kind and period, each a rendered HTML + PDF file.

Each asset is thin: pick the period from the run's scheduled time, call the reports
library, write the files, and record what the Dagster UI shows (paths, the headline
numbers as markdown, a small chart image).
"""


import base64
from datetime import datetime, timezone
from typing import Optional

import dagster as dg
from pydantic import Field

from pipelines.models.resources import WarehouseResource
from reports.warehouse import REQUIRED_TABLES

GROUP = "reports"
PERIODS = ("daily", "weekly", "monthly")
KINDS = ("summary", "reliability", "performance", "cost")
SCHEDULED_TIME_TAG = "dagster/scheduled_execution_time"


class ReportConfig(dg.Config):
    """Run-time knobs of a report."""

    team: Optional[str] = Field(default=None, description="Only the jobs this team owns.")
    dagster_url: str = Field(default="http://127.0.0.1:3000", description="Base URL of the Dagster UI for run links.")
    deliver_to: list[str] = Field(default_factory=list, description="Channel tags to send the files to.")


def report_time(context: dg.AssetExecutionContext) -> datetime:
    """The schedule's tick time when scheduled (so a late run reports the right period), else now."""
    raw = context.run.tags.get(SCHEDULED_TIME_TAG) if context.run else None
    return datetime.fromisoformat(raw).astimezone(timezone.utc) if raw else datetime.now(timezone.utc)


def headline_markdown(rendered) -> str:
    """The report's headline numbers as a markdown table, with the chart thumbnail when there is one."""
    from reports.formatting import format_change, format_value

    report = rendered.report
    lines = [f"**{report.title}** — {report.period.label}", ""]
    if report.empty:
        return "\n".join(lines + ["No jobs ran in this period."])
    lines += ["| metric | value | vs previous |", "| --- | --- | --- |"]
    lines += [f"| {m.label} | {format_value(m.value, m.fmt)} | {format_change(m)} |" for m in report.headline]
    return "\n".join(lines)


def _metadata(rendered, png_path) -> dict:
    metadata = {f"{fmt}_path": dg.MetadataValue.path(str(path)) for fmt, path in rendered.paths.items()}
    metadata["period"] = dg.MetadataValue.text(rendered.report.period.label)
    metadata["runs_in_period"] = dg.MetadataValue.int(rendered.report.coverage.runs_in_period)
    summary = headline_markdown(rendered)
    if png_path is not None:
        metadata["chart_path"] = dg.MetadataValue.path(str(png_path))
        image = base64.b64encode(png_path.read_bytes()).decode()
        summary += f"\n\n![chart](data:image/png;base64,{image})"
    metadata["summary"] = dg.MetadataValue.md(summary)
    return metadata


def build_report_asset(kind: str, period: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"{period}_{kind}_report",
        group_name=GROUP,
        deps=[dg.AssetKey(name) for name in REQUIRED_TABLES],
        kinds={"html", "pdf"},
        description=f"The {period} {kind} report (HTML and PDF) of the last complete {period[:-2] if period != 'daily' else 'day'}.",
    )
    def _report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from reports import deliver, generate_report, resolve_period
        from reports.publish import preview_png, write_atomic

        home = warehouse.resolved_home()
        chosen = resolve_period(period, report_time(context))
        rendered = generate_report(home.warehouse, home.reports, kind, chosen, team=config.team, dagster_url=config.dagster_url)
        png = preview_png(rendered.report)
        png_path = write_atomic(rendered.paths["html"].with_suffix(".png"), png) if png else None
        if config.deliver_to:
            result = deliver(list(rendered.paths.values()), config.deliver_to, title=f"{rendered.report.title}: {chosen.label}")
            if not result.ok:
                context.log.warning(f"report not delivered to {config.deliver_to}: {result.error}")
        return dg.MaterializeResult(metadata=_metadata(rendered, png_path))

    return _report


def report_assets() -> list[dg.AssetsDefinition]:
    return [build_report_asset(kind, period) for period in PERIODS for kind in KINDS]
