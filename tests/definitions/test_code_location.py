"""The real code location: it loads, every job resolves, and the asset graph is what we ship.

``asset_graph.txt`` is a snapshot of every asset with its group and upstream assets;
``JOBLENS_REGEN_GOLDEN=1`` rewrites it after an intended change.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs as lazy_defs

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return lazy_defs.load() if hasattr(lazy_defs, "load") else lazy_defs()


def test_every_job_resolves_with_its_resources(defs):
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    for name in ("knowledge_index", "lake_compaction", "health_check", "models_refresh_job", "daily_reports_job"):
        assert name in jobs
    workflows = [name for name in jobs if name.startswith("workflow__")]
    assert len(workflows) >= 3
    for name in workflows:
        assert jobs[name].tags["joblens/job_type"] == "workflow"


def test_sensors_and_schedules_a_user_expects(defs):
    sensors = {s.name for s in defs.sensors}
    schedules = {s.name for s in defs.schedules}
    assert {"telemetry_capture_sensor", "run_failure_alert_sensor", "alert_rules_sensor", "run_retry_sensor"} <= sensors
    assert {"daily_reports_schedule", "weekly_reports_schedule", "monthly_reports_schedule",
            "lake_compaction_schedule", "retention_cleanup_schedule", "backup_schedule",
            "health_check_schedule"} <= schedules
    capture = next(s for s in defs.sensors if s.name == "telemetry_capture_sensor")
    assert capture.default_status == dg.DefaultSensorStatus.RUNNING


def test_asset_graph_matches_snapshot(defs):
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(f"{key.to_user_string()} [{node.group_name}] <- {parents}")
    text = "\n".join(lines) + "\n"
    if os.environ.get("JOBLENS_REGEN_GOLDEN") == "1":
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()
    # Data flows one way: reports read models, models never read reports or alerts.
    for line in lines:
        name, rest = line.split(" [", 1)
        group = rest.split("]", 1)[0]
        if group == "models":
            assert "report" not in rest.split("<-", 1)[1], line
