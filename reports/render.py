"""One Jinja2 environment, autoescaped, turning a report's data model into HTML or PDF.

Two variants of the same page, as in pytest-html's "self-contained" and "with assets":
- interactive HTML (the default file): charts drawn in the browser by the Vega runtime
  embedded in the page, so it works offline and renders in milliseconds;
- static HTML (the PDF's source): charts as inline SVG drawn here by vl-convert.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from reports.formatting import format_change, format_value, short_run_id
from reports.model import Chart, Metric, Note, Report, Table

_SVG_ID = re.compile(r'(\bid="|url\(#|href="#)([^"()]+)')
_BREAK_AFTER = re.compile(r"([_.]+)")


def breakable(text: str) -> Markup:
    """``text`` escaped, with a line-break opportunity after each underscore or dot:
    a job or step key (``workflow__lead_enrichment``) then wraps at its parts in a narrow
    table column instead of pushing the table past the page's edge."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(text))))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = format_value
    env.filters["change"] = format_change
    env.filters["short_run_id"] = short_run_id
    env.filters["breakable"] = breakable
    env.tests.update(
        metric=lambda b: isinstance(b, Metric),
        table=lambda b: isinstance(b, Table),
        chart=lambda b: isinstance(b, Chart),
        note=lambda b: isinstance(b, Note),
    )
    return env


@lru_cache(maxsize=1)
def vega_runtime() -> Markup:
    """Vega, Vega-Lite and vega-embed as one script, shipped inside the vl-convert package."""
    import vl_convert

    # Only "</script" would end the inline script early; the bundle has none, but stay safe.
    return Markup(re.sub(r"</(script)", r"<\\/\1", vl_convert.javascript_bundle(), flags=re.IGNORECASE))


def chart_svg(chart: Chart, index: int) -> Markup:
    """The chart as inline SVG with ids made unique per chart and stable between renders."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.spec)
    return Markup(_SVG_ID.sub(lambda m: f"{m.group(1)}c{index}-{m.group(2)}", svg))


def chart_png(chart: Chart, scale: float = 1.0) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(chart.spec, scale=scale)


def render_html(report: Report, static_charts: bool = False, **extra: Any) -> str:
    """The report as one self-contained HTML page (no network access needed to read it)."""
    has_charts = any(isinstance(b, Chart) for s in report.sections for b in s.blocks)
    return environment().get_template("report.html.j2").render(
        report=report,
        static=static_charts,
        chart_svg=chart_svg,
        vega_runtime=vega_runtime() if has_charts and not static_charts else "",
        **extra,
    )


def render_pdf(report: Report) -> bytes:
    """The same content as a paged PDF: static charts, running header and footer, page numbers."""
    import weasyprint

    html = render_html(report, static_charts=True)
    return weasyprint.HTML(string=html).write_pdf()
