"""JobLens reports: the warehouse's models as HTML and PDF reports and custom dashboards.

A plain library (no Dagster): ``build_report`` makes a report's data model from a warehouse
connection, ``render_html``/``render_pdf`` draw it, ``generate_report`` does both and writes
the files, ``deliver`` sends them through the notification channels.
"""

from importlib import import_module

# Where each public name lives. They are imported on first use, so importing one light
# module of the package (``reports.warehouse``, as the Dagster code location does) does not
# load Altair, the chart engine and WeasyPrint.
_EXPORTS = {
    "KINDS": "reports.build",
    "build_report": "reports.build",
    "deliver": "reports.delivery",
    "ReportError": "reports.errors",
    "Period": "reports.period",
    "resolve_period": "reports.period",
    "RenderedReport": "reports.publish",
    "generate_dashboard": "reports.publish",
    "generate_report": "reports.publish",
    "render_html": "reports.render",
    "render_pdf": "reports.render",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'reports' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


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
