"""Golden HTML of every report kind on the fixture warehouse at frozen time.

Regenerate with ``JOBLENS_REGEN_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py``
and review the diff. The embedded Vega runtime (~900 kB, from the vl-convert package)
and the stylesheet (reports/templates/report.css) are replaced by markers in the comparison;
everything else must match byte for byte.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from reports.build import KINDS
from reports.render import render_html, vega_runtime

GOLDEN = Path(__file__).with_name("golden")
RUNTIME_MARKER = "/* vega runtime from vl-convert */"
STYLESHEET_MARKER = "/* reports/templates/report.css */"
STYLESHEET = resources.files("reports").joinpath("templates", "report.css").read_text().rstrip("\n")


def comparable(html: str) -> str:
    """The report with the embedded runtime and stylesheet (compared as files of their own) as markers."""
    assert html.count(STYLESHEET) == 1, "the stylesheet is embedded once"
    return html.replace(str(vega_runtime()), RUNTIME_MARKER).replace(STYLESHEET, STYLESHEET_MARKER)


@pytest.mark.parametrize("kind", list(KINDS))
def test_report_html_matches_golden(kind, build):
    html = comparable(render_html(build(kind, "weekly")))
    golden = GOLDEN / f"{kind}_weekly.html"
    if os.environ.get("JOBLENS_REGEN_GOLDEN") == "1":
        golden.write_text(html)
    assert golden.exists(), f"{golden} missing: run with JOBLENS_REGEN_GOLDEN=1"
    assert html == golden.read_text(), f"{golden.name} differs; regenerate with JOBLENS_REGEN_GOLDEN=1 and review the diff"


def test_empty_report_matches_golden(build, data):
    day = data.EMPTY_DAY.isoformat()
    html = comparable(render_html(build("summary", since=day, until=day)))
    golden = GOLDEN / "summary_empty.html"
    if os.environ.get("JOBLENS_REGEN_GOLDEN") == "1":
        golden.write_text(html)
    assert html == golden.read_text()


def test_the_runtime_is_embedded_once_and_nothing_loads_from_the_network(build):
    html = render_html(build("summary", "weekly"))
    assert html.count(str(vega_runtime())) == 1
    assert "<script src=" not in html and "<link " not in html and "@import" not in html
    assert 'class="chart-spec"' in html


def test_static_svg_rendering_is_deterministic(build):
    report = build("cost", "weekly")
    first, second = render_html(report, static_charts=True), render_html(report, static_charts=True)
    assert first == second
    assert "<svg" in first and "<script" not in first
