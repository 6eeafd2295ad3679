"""Phase 3: compact the lake, refresh the models and render the reports through Dagster,
and the example dashboards.

The model and report refreshes run the code location's own jobs (``models_refresh_job``,
``<period>_reports_job``) on the persisted instance, so the Dagster UI shows the assets
materialized, with their checks and metadata, exactly as a scheduled run leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.demo.environment import QUIET_LOGGERS
from pipelines.demo.progress import Advance
from pipelines.errors import JoblensError
from pipelines.home import Home

STEPS = 4  # compact, models, reports, dashboards


@dataclass
class Outputs:
    """What phase 3 produced."""

    landing_files_merged: int = 0
    models_materialized: int = 0
    failed_checks: list[str] = field(default_factory=list)
    report_period: str = ""
    reports: dict[str, dict[str, str]] = field(default_factory=dict)  # kind → format → path
    dashboards: dict[str, dict[str, str]] = field(default_factory=dict)  # name → format → path


def build_outputs(defs, instance, home: Home, period: str, step: Advance) -> Outputs:
    from pipelines.lake.compaction import compact

    outputs = Outputs()
    step("compacting the lake")
    outputs.landing_files_merged = compact(home.lake).landing_files_merged
    step("refreshing the models (models_refresh_job)")
    result = _execute(defs, instance, "models_refresh_job")
    outputs.models_materialized = len(result.get_asset_materialization_events())
    outputs.failed_checks = sorted(f"{e.asset_key.to_user_string()}:{e.check_name}"
                                   for e in result.get_asset_check_evaluations() if not e.passed)
    step(f"rendering the {period} reports ({period}_reports_job)")
    outputs.reports, outputs.report_period = _reports(_execute(defs, instance, f"{period}_reports_job"))
    step("rendering the example dashboards")
    outputs.dashboards = render_dashboards(home)
    return outputs


def _execute(defs, instance, job_name: str):
    """Run a job of the code location in process; a failed step is one clear error."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=QUIET_LOGGERS, instance=instance, raise_on_error=False)
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        reason = failure.step_failure_data.error.message.strip().splitlines()[-1] if failure else "run failed"
        raise JoblensError(f"{job_name} (run {result.run_id}) failed: {reason}")
    return result


def _reports(result) -> tuple[dict[str, dict[str, str]], str]:
    """Each report asset's file paths, by kind, and the period they cover, from its metadata."""
    from pipelines.reporting.assets import KINDS

    reports, label = {}, ""
    for event in result.get_asset_materialization_events():
        name = event.asset_key.to_user_string()
        kind = next((k for k in KINDS if name.endswith(f"_{k}_report")), None)
        meta = event.materialization.metadata
        if kind is None:
            continue
        reports[kind] = {fmt: str(meta[f"{fmt}_path"].value) for fmt in ("html", "pdf") if f"{fmt}_path" in meta}
        label = meta["period"].value if "period" in meta else label
    return dict(sorted(reports.items())), label


def render_dashboards(home: Home) -> dict[str, dict[str, str]]:
    """Every shipped example dashboard, HTML and PDF, with its default parameters."""
    from importlib import resources

    from reports import ReportError, generate_dashboard

    shipped = Path(str(resources.files("reports").joinpath("dashboards")))
    rendered = {}
    for path in sorted(shipped.glob("*.yaml")):
        try:
            out = generate_dashboard(home.warehouse, home.reports, path)
        except ReportError as exc:
            raise JoblensError(str(exc)) from None
        rendered[path.stem] = {fmt: str(p) for fmt, p in out.paths.items()}
    return rendered
