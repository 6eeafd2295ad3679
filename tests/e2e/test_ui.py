"""The Dagster UI as a user meets it after the demo: assets listed, report metadata, a run page.

Drives Debian's Chromium headless against a webserver on 127.0.0.1; screenshots go to
the test's tmp folder (and to ``$JOBLENS_SCREENSHOTS`` when set, to look at them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.instance import ensure_workspace
from tests.e2e.browser import chromium_page, dagster_webserver

pytestmark = pytest.mark.slow
TIMEOUT_MS = 120_000


def _shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("JOBLENS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def _materialized_report_key(instance) -> str:
    import dagster as dg

    for period in ("daily", "weekly", "monthly"):
        key = dg.AssetKey(f"{period}_summary_report")
        if instance.get_latest_materialization_event(key) is not None:
            return key.to_user_string()
    raise AssertionError("the demo materialized no summary report asset")


def test_dagster_ui_shows_joblens_assets_report_metadata_and_a_run(demo_home, tmp_path):
    home, _summary = demo_home
    from pipelines.instance import open_instance

    instance = open_instance(home)
    report_key = _materialized_report_key(instance)
    import dagster as dg

    completed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), limit=50)
    run_id = next(r.run_id for r in completed if r.job_name.startswith("workflow__"))
    job_name = instance.get_run_by_id(run_id).job_name
    instance.dispose()

    with dagster_webserver(home.dagster, ensure_workspace(home), tmp_path / "webserver.log") as base, chromium_page() as page:
        page.set_default_timeout(TIMEOUT_MS)

        page.goto(f"{base}/assets")
        page.get_by_text("agg_capacity").first.wait_for()
        _shot(page, tmp_path, "asset_catalog")
        # The catalog renders only the rows in view; each asset's own page proves it is there.
        for asset in ("fct_runs", "failure_patterns", "alert_quality"):
            page.goto(f"{base}/assets/{asset}")
            page.get_by_text(asset).first.wait_for()

        page.goto(f"{base}/assets/{report_key}")
        page.get_by_text("html_path").first.wait_for()
        details = page.inner_text("body")
        assert "pdf_path" in details and "runs_in_period" in details
        assert "Success rate" in details or "Runs" in details  # the headline numbers in the summary
        _shot(page, tmp_path, "report_asset")

        page.goto(f"{base}/runs/{run_id}")
        page.get_by_text(job_name).first.wait_for()
        page.get_by_text("RUN_SUCCESS").first.wait_for()  # the run's event log has loaded
        body = page.inner_text("body")
        assert run_id[:8] in body and "STEP_SUCCESS" in body
        _shot(page, tmp_path, "run_page")
