"""The PDF: converts to PNG pages with pdftoppm, has the expected page count, repeats table headers."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from reports.render import render_html, render_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed: apt-get install -y poppler-utils"
)


def _pages(pdf: bytes, tmp_path) -> list:
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(source), str(tmp_path / "page")], check=True, timeout=60)
    return sorted(tmp_path.glob("page-*.png"))


@pytest.mark.parametrize("kind, period, pages", [("summary", "weekly", 3), ("cost", "monthly", 3)])
def test_pdf_pages(kind, period, pages, build, tmp_path):
    pngs = _pages(render_pdf(build(kind, period)), tmp_path)
    assert len(pngs) == pages
    assert all(p.stat().st_size > 2_000 for p in pngs)  # a page with content, not a blank one


def test_empty_period_pdf_is_one_page(build, data, tmp_path):
    day = data.EMPTY_DAY.isoformat()
    assert len(_pages(render_pdf(build("summary", since=day, until=day)), tmp_path)) == 1


def test_pdf_source_has_running_headers_page_numbers_and_repeating_table_heads(build):
    html = render_html(build("summary", "weekly"), static_charts=True)
    assert 'counter(page) " of " counter(pages)' in html
    assert "string-set: report-title" in html
    assert "thead { display: table-header-group; }" in html
    assert "<thead>" in html
