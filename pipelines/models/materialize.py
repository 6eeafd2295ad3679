"""Materializing the model assets in process, as ``joblens refresh`` does: a real Dagster
run on the JobLens instance, so refreshes show in the Dagster UI with their checks."""

from __future__ import annotations

import dagster as dg

from pipelines.errors import JoblensError
from pipelines.home import Home
from pipelines.instance import open_instance
from pipelines.models.assets import build_model_assets
from pipelines.models.resources import WarehouseResource


def materialize_models(home: Home, full: bool = False, instance: dg.DagsterInstance | None = None) -> list[dict]:
    """Run the model assets in process; one summary row per asset materialized."""
    assets = build_model_assets()
    result = dg.materialize(
        [assets],
        instance=instance or open_instance(home),
        resources={"warehouse": WarehouseResource(home=str(home.root))},
        # The event log keeps every event; the console shows only warnings and errors.
        run_config=dg.RunConfig({"sql_models": {"config": {"full": full}}},
                                loggers={"console": {"config": {"log_level": "WARNING"}}}),
        raise_on_error=False,
    )
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        message = failure.step_failure_data.error.message.strip().splitlines()[-1] if failure else "run failed"
        raise JoblensError(f"model refresh failed: {message}")
    checks = {}
    for evaluation in result.get_asset_check_evaluations():
        checks.setdefault(evaluation.asset_key.to_user_string(), []).append(evaluation)
    rows = []
    for event in result.get_asset_materialization_events():
        key = event.asset_key.to_user_string()
        meta = event.materialization.metadata
        failed = [e.check_name for e in checks.get(key, []) if not e.passed]
        rows.append({
            "model": key,
            "mode": _value(meta.get("refresh_mode")),
            "action": _value(meta.get("action")),
            "rows": _value(meta.get("dagster/row_count")),
            "rows_written": _value(meta.get("rows_written")),
            "checks": "failed: " + ", ".join(failed) if failed else ("passed" if key in checks else ""),
        })
    return rows


def _value(entry):
    return None if entry is None else entry.value
