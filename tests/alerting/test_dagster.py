"""The Dagster side: the run-failure sensor on real failed runs, the rules sensor, alert_quality."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from alerting.engine import check
from alerting.quality import build_alert_quality
from alerting.store import open_store
from pipelines.alerts.assets import alert_quality
from pipelines.alerts.sensors import alert_rules_sensor, run_failure_alert_sensor


@dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
def fetch():
    raise TimeoutError("upstream did not answer in 30s\nsecond line of detail")


@dg.job(tags={"joblens/team": "data", "joblens/job_type": "workflow"})
def ingest():
    fetch()


@dg.op
def fine():
    return 1


@dg.job
def ingest_retry():
    fine()


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def failure_context(instance, run_tags=None):
    result = ingest.execute_in_process(instance=instance, raise_on_error=False, tags=run_tags or {})
    assert not result.success
    return result.dagster_run, dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )


def test_run_failure_sensor_sends_one_message_for_a_real_failed_run(instance, channels_file, http_receiver, monkeypatch):
    monkeypatch.setenv("JOBLENS_UI_URL", "http://dagster.test:3000")
    run, context = failure_context(instance)
    run_failure_alert_sensor(context)
    [message] = http_receiver.at("ops")
    body = message.fields["message"]
    assert message.fields["title"] == "[FAILED] ingest: timeout"
    assert "Job: ingest" in body
    assert "Error: timeout (TimeoutError)" in body
    assert "Remediation: A call did not answer within its deadline." in body
    assert "Message: TimeoutError: upstream did not answer in 30s" in body
    assert "Where: step fetch, attempt 2" in body
    assert f"Run: http://dagster.test:3000/runs/{run.run_id}" in body
    assert "Traceback" not in body and "File \"" not in body and "second line" not in body
    run_failure_alert_sensor(context)  # the same failure seen again is not sent again
    assert len(http_receiver.at("ops")) == 1


def test_no_message_when_the_automatic_retry_already_succeeded(instance, channels_file, http_receiver):
    run, context = failure_context(instance)
    retry_tags = {"dagster/root_run_id": run.run_id, "dagster/parent_run_id": run.run_id, "dagster/retry_number": "1"}
    assert ingest_retry.execute_in_process(instance=instance, tags=retry_tags).success
    run_failure_alert_sensor(context)
    assert http_receiver.received == []


def test_rules_sensor_evaluates_the_shipped_rules(instance, warehouse, channels_file, http_receiver):
    from datetime import datetime, timezone

    warehouse.failure_rates(datetime.now(timezone.utc), {"ingest": (8, 10)})
    result = alert_rules_sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason)
    # runs every minute then none for 46 minutes: the failure rate and the missed schedule fire; group_wait holds the messages
    assert result.skip_message == "2 firing, 0 notifications queued, 0 delivered, 0 errors"
    with open_store(warehouse.path.parent) as con:
        firing = con.execute("select rule, labels from alert_state where state = 'firing' order by rule").fetchall()
    assert firing == [("job_failure_rate", '{"job": "ingest"}'), ("scheduled_job_missed", '{"job": "ingest"}')]


def test_alert_quality_counts_firings_resolution_flaps_and_silences(joblens_home, warehouse, write_rules, channels_file, http_receiver, t0):
    rules = write_rules("""
rules:
  - name: failing_jobs
    metric: job_failure_rate
    params: {min_runs: 1}
    comparison: ">="
    threshold: 0.5
    routes: [ops]
    group_interval: 0s
""")
    for minutes, failed in [(0, 6), (10, 0), (20, 6), (50, 0)]:
        now = t0 + timedelta(minutes=minutes)
        warehouse.failure_rates(now, {"ingest": (failed, 10)})
        check(joblens_home.root, now=now, rule_paths=[rules])
    with open_store(joblens_home.root) as con:
        assert build_alert_quality(con, t0 + timedelta(hours=1)) == 1
        row = con.execute(
            "select rule, firings, resolved, median_time_to_resolve_s, state_changes, silenced_share, notifications_sent from alert_quality"
        ).fetchone()
    assert row == ("failing_jobs", 2, 2, 1200.0, 4, 0.0, 4)


def test_alert_quality_asset_materializes(joblens_home):
    result = dg.materialize([alert_quality])
    assert result.success
    metadata = result.asset_materializations_for_node("alert_quality")[0].metadata
    assert metadata["rules"].value == 0


def test_the_alerts_definitions_have_the_sensors_and_asset():
    from pipelines.alerts.definitions import definitions as alerts_definitions

    definitions = alerts_definitions()
    assert {"run_failure_alert_sensor", "alert_rules_sensor"} <= {s.name for s in definitions.sensors}
    spec = definitions.resolve_assets_def("alert_quality")
    assert spec.group_names_by_key[dg.AssetKey("alert_quality")] == "alerts"
