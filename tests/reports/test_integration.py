"""Simulated history → model refresh → every report kind and period, and the HTML in a real browser."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

import pytest

from pipelines.home import resolve_home
from pipelines.models.refresh import refresh
from pipelines.models.simulator import simulate
from reports import generate_dashboard, generate_report, resolve_period
from reports.build import KINDS

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def simulated_home(tmp_path_factory):
    """One simulated and refreshed home shared by this module's tests (only read after it is built)."""
    home = resolve_home(tmp_path_factory.mktemp("simulated") / "home").ensure()
    simulate(home.lake, days=35, runs_per_day=20, seed=11, end_date=date(2026, 11, 28))
    report = refresh(home, full=True)
    assert not report.failed_audits
    return home


@pytest.mark.slow
def test_every_kind_and_period_renders_from_refreshed_models(simulated_home):
    home = simulated_home
    for kind in KINDS:
        for period in ("daily", "weekly", "monthly"):
            formats = ("html", "pdf") if period == "weekly" else ("html",)  # PDF is the slow part
            rendered = generate_report(home.warehouse, home.reports, kind, resolve_period(period, NOW), formats, now=NOW)
            assert "pdf" not in rendered.paths or rendered.paths["pdf"].read_bytes().startswith(b"%PDF")
            assert not rendered.report.empty, (kind, period)
            assert rendered.report.coverage.runs_in_period > 0
    assert len(list(home.reports.glob("*/*.html"))) == len(KINDS) * 3
    for name in ("model_spend", "job_health"):
        path = Path(str(resources.files("reports").joinpath("dashboards", f"{name}.yaml")))
        assert generate_dashboard(home.warehouse, home.reports, path, formats=("html",), now=NOW).paths["html"].exists()


@pytest.mark.slow
def test_interactive_html_draws_its_charts_offline(simulated_home):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    rendered = generate_report(simulated_home.warehouse, simulated_home.reports, "performance",
                               resolve_period("weekly", NOW), formats=("html",), now=NOW)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        remote, errors = [], []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (remote.append(route.request.url), route.abort()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(rendered.paths["html"].as_uri())
        page.wait_for_function("document.querySelectorAll('.chart-target svg').length === document.querySelectorAll('.chart-target').length")
        assert page.locator(".chart-target svg").count() >= 3
        browser.close()
    assert remote == [] and errors == []
