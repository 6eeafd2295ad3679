"""The report assets in Dagster: materialize with metadata the UI shows; schedules as specified."""

from __future__ import annotations

import dagster as dg

from pipelines.models.resources import WarehouseResource
from pipelines.reporting.assets import build_report_asset
from pipelines.reporting.definitions import definitions


def test_report_asset_materializes_files_and_ui_metadata(warehouse, joblens_home):
    asset = build_report_asset("summary", "weekly")
    result = dg.materialize(
        [asset],
        resources={"warehouse": WarehouseResource(home=str(joblens_home.root))},
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/scheduled_execution_time": "2026-11-29T06:00:00+00:00"},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("weekly_summary_report")[0].metadata
    html = joblens_home.reports / "summary" / "2026-W47.html"
    assert metadata["html_path"].value == str(html) and html.exists()
    assert metadata["pdf_path"].value == str(html.with_suffix(".pdf"))
    assert metadata["chart_path"].value.endswith("2026-W47.png")
    summary = metadata["summary"].value
    assert "| Runs | 98 | +1.0 % |" in summary
    assert "![chart](data:image/png;base64," in summary


def test_definitions_group_jobs_and_schedules():
    defs = definitions()
    assets = [a for a in defs.assets]
    assert len(assets) == 12
    assert {a.group_names_by_key[k] for a in assets for k in a.keys} == {"reports"}
    crons = {s.name: (s.cron_schedule, s.execution_timezone) for s in defs.schedules}
    assert crons == {
        "daily_reports_schedule": ("0 6 * * *", "UTC"),
        "weekly_reports_schedule": ("0 6 * * 1", "UTC"),
        "monthly_reports_schedule": ("0 6 1 * *", "UTC"),
    }


def test_the_code_location_resolves_the_report_jobs():
    import pipelines.definitions as code_location

    repository = code_location.defs.load_fn().get_repository_def()
    for period in ("daily", "weekly", "monthly"):
        job = repository.get_job(f"{period}_reports_job")
        assert {node.name for node in job.nodes} == {f"{period}_{kind}_report" for kind in ("summary", "reliability", "performance", "cost")}
