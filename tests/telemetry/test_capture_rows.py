"""Run metadata and row ids of capture, from Dagster runs built in memory."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from pipelines.telemetry.capture_rows import row_id, run_metadata, trigger_of


def run(tags=None, parent=None):
    return dg.DagsterRun(job_name="nightly_job", run_id="r2", tags=tags or {}, parent_run_id=parent,
                         root_run_id=parent)


@pytest.mark.parametrize(
    "tags, parent, expected",
    [
        ({}, None, ("manual", None)),
        ({"dagster/schedule_name": "daily"}, None, ("schedule", "daily")),
        ({"dagster/sensor_name": "inbox", "joblens/trigger_source": "inbox/a.csv"}, None, ("sensor", "inbox/a.csv")),
        ({"dagster/backfill": "bf1", "dagster/schedule_name": "daily"}, None, ("backfill", "bf1")),
        ({"joblens/trigger": "webhook", "joblens/trigger_source": "/hooks/x"}, None, ("webhook", "/hooks/x")),
        ({"joblens/trigger": "file"}, None, ("manual", None)),  # not a trigger of the record
        ({"dagster/schedule_name": "daily"}, "r1", ("retry", "r1")),  # a re-execution is a retry first
        ({"dagster/is_resume_retry": "true", "dagster/retry_number": "1"}, "r1", ("retry", "r1")),
        ({"joblens/trigger": "retry"}, None, ("retry", None)),
    ],
)
def test_trigger_comes_from_tags_and_lineage(tags, parent, expected):
    assert trigger_of(run(tags, parent), tags) == expected


def test_run_metadata_columns():
    tags = {"joblens/job_type": "knowledge", "joblens/team": "search", "dagster/priority": "-2",
            "dagster/partition": "2026-03-01"}
    meta = run_metadata(run(tags, parent="r1"))
    assert {k: v for k, v in meta.items() if k != "tags"} == {
        "job_name": "nightly_job", "job_type": "knowledge", "team": "search", "trigger": "retry",
        "trigger_source": "r1", "priority": -2, "parent_run_id": "r1", "root_run_id": "r1",
        "partition": "2026-03-01", "code_location": None,
    }
    assert json.loads(meta["tags"]) == tags
    odd = run_metadata(run({"joblens/job_type": "batch", "dagster/priority": "high"}))
    assert (odd["job_type"], odd["priority"]) == ("unknown", None)


def test_row_ids_are_stable_and_distinct_per_table():
    assert row_id("r", 7, "steps") == row_id("r", 7, "steps")
    assert len({row_id("r", 7, "steps"), row_id("r", 7, "errors"), row_id("r", 8, "steps"),
                row_id("s", 7, "steps")}) == 4
