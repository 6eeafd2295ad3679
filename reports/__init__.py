"""JobLens reports: the warehouse's models as HTML and PDF reports and custom dashboards.

A plain library (no Dagster): ``build_report`` makes a report's data model from a warehouse
connection, ``render_html``/``render_pdf`` draw it, ``generate_report`` does both and writes
the files, ``deliver`` sends them through the notification channels.
"""

from reports.build import KINDS, build_report
from reports.delivery import deliver
from reports.errors import ReportError
from reports.period import Period, resolve_period
from reports.publish import RenderedReport, generate_dashboard, generate_report
from reports.render import render_html, render_pdf

__all__ = [
    "KINDS",
    "Period",
    "RenderedReport",
    "ReportError",
    "build_report",
    "deliver",
    "generate_dashboard",
    "generate_report",
    "render_html",
    "render_pdf",
    "resolve_period",
]
