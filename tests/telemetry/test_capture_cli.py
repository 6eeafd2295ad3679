"""``joblens capture``, the capture sensor and the telemetry definitions."""

from __future__ import annotations

import json

import dagster as dg
from typer.testing import CliRunner

from pipelines.cli.app import _register, app
from pipelines.instance import open_instance
from pipelines.telemetry.capture import state_path


@dg.op
def hello(context):
    context.log.info("hello")


@dg.job(executor_def=dg.in_process_executor)
def hello_job():
    hello()


def invoke(*args):
    _register()
    return CliRunner().invoke(app, list(args))


def test_capture_command_prints_counts_and_is_incremental(joblens_home):
    instance = open_instance(joblens_home)
    hello_job.execute_in_process(instance=instance)
    instance.dispose()
    first = invoke("capture", "--format", "json")
    assert first.exit_code == 0, first.output
    [row] = json.loads(first.stdout)
    assert (row["runs_read"], row["runs_rows"], row["steps_rows"], row["logs_rows"]) == (1, 2, 2, 1)
    assert state_path(joblens_home).exists()
    again = invoke("capture", "--format", "csv")
    assert again.exit_code == 0 and again.stdout.splitlines()[1].startswith("0,0,0,0,0,0")


def test_capture_command_rejects_a_bad_level_and_a_broken_cursor(joblens_home):
    bad = invoke("capture", "--min-level", "loud")
    assert bad.exit_code != 0 and "--min-level 'loud'" in str(bad.exception)
    state_path(joblens_home).write_text("{not json")
    broken = invoke("capture")
    assert broken.exit_code != 0 and "unreadable capture cursor" in str(broken.exception)


def test_sensor_captures_on_each_tick(joblens_home):
    from pipelines.telemetry.sensors import telemetry_capture_sensor

    instance = open_instance(joblens_home)
    try:
        hello_job.execute_in_process(instance=instance)
        result = telemetry_capture_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason) and "of 1 runs" in result.skip_message
        assert "of 0 runs" in telemetry_capture_sensor(dg.build_sensor_context(instance=instance)).skip_message
    finally:
        instance.dispose()
    assert telemetry_capture_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert telemetry_capture_sensor.minimum_interval_seconds == 30


def test_definitions_bind_the_telemetry_resource_and_the_sensor():
    from pipelines.telemetry.definitions import definitions
    from pipelines.telemetry.resource import TelemetryResource

    defs = definitions()
    assert isinstance(defs.resources["telemetry"], TelemetryResource)
    assert [s.name for s in defs.sensors] == ["telemetry_capture_sensor"]
