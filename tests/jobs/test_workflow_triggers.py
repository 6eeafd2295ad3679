"""Workflow triggers: the inbox file-drop sensor, cron schedules, and `joblens run`."""

from __future__ import annotations

import json
import os
import time

import dagster as dg
import pytest
from typer.testing import CliRunner

from pipelines.jobs.workflows.definitions import definitions
from pipelines.jobs.workflows.triggers import SETTLE_S, inbox_dir
from tests.jobs import workflow_testkit as kit


INPUTS = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
STEPS = [{"name": "shout", "kind": "transform", "expression": "input.text | upper"}]


def _defs(tmp_path, **top) -> dg.Definitions:
    folder = tmp_path / "wf"
    kit.write_workflow(folder, "echo", STEPS, inputs=INPUTS, **top)
    return definitions(folder)


def test_inbox_sensor_runs_valid_files_and_sets_bad_ones_aside(tmp_path, joblens_home):
    sensor = next(s for s in _defs(tmp_path).sensors if s.name == "workflow__echo_inbox_sensor")
    inbox = inbox_dir("echo")
    assert inbox == joblens_home.root / "inbox" / "echo"
    inbox.mkdir(parents=True)
    (inbox / "a.json").write_text(json.dumps({"text": "hello"}))
    (inbox / "b.json").write_text(json.dumps({"txt": "typo"}))
    (inbox / "c.json").write_text("{half written")  # fresh: may still be being written
    old = inbox / "d.json"
    old.write_text("{never finished")
    os.utime(old, (time.time() - SETTLE_S - 60,) * 2)
    (inbox / "notes.txt").write_text("ignored")

    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()) as context:
        result = sensor(context)
    requests = result.run_requests
    assert len(requests) == 1
    assert requests[0].run_config == {"ops": {"echo__inputs": {"config": {"payload": {"text": "hello"}}}}}
    assert requests[0].tags["joblens/trigger_source"] == "inbox/echo/a.json"
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["a.json"]
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert failed == ["b.json", "b.json.error.txt", "d.json", "d.json.error.txt"]
    assert "'text' is a required property" in (inbox / "failed" / "b.json.error.txt").read_text()
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["c.json", "notes.txt"]

    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()) as context:
        assert isinstance(sensor(context), dg.SkipReason)  # nothing new to run


def test_a_run_from_a_sensor_request_gets_the_payload(tmp_path, joblens_home):
    from pipelines.telemetry.resource import TelemetryResource

    defs = _defs(tmp_path)
    sensor = next(iter(defs.sensors))
    inbox_dir("echo").mkdir(parents=True)
    (inbox_dir("echo") / "x.json").write_text(json.dumps({"text": "dropped"}))
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()) as context:
        request = sensor(context).run_requests[0]
    job = next(iter(defs.jobs))
    result = job.execute_in_process(run_config=request.run_config, tags=request.tags,
                                    resources={"telemetry": TelemetryResource()})
    assert result.output_for_node("echo__shout")["steps"]["shout"] == "DROPPED"


def test_schedule_from_cron_with_its_input(tmp_path):
    defs = _defs(tmp_path, schedule={"cron": "15 7 * * 1-5", "timezone": "Europe/Paris", "input": {"text": "daily"}})
    schedule = next(iter(defs.schedules))
    assert schedule.name == "workflow__echo_schedule"
    assert schedule.cron_schedule == "15 7 * * 1-5" and schedule.execution_timezone == "Europe/Paris"
    with dg.build_schedule_context(scheduled_execution_time=None) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_config == {"ops": {"echo__inputs": {"config": {"payload": {"text": "daily"}}}}}


def test_joblens_run_waits_for_an_in_process_run(tmp_path, joblens_home, monkeypatch):
    from pipelines.cli.app import _register, app

    kit.write_workflow(tmp_path / "wf", "echo", STEPS, inputs=INPUTS)
    monkeypatch.setenv("JOBLENS_WORKFLOWS", str(tmp_path / "wf"))
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"text": "by hand"}))
    _register()
    result = CliRunner().invoke(app, ["run", "echo", "--input", str(payload), "--priority", "7", "--wait"])
    assert result.exit_code == 0, result.output
    run_id, job_name, status = result.stdout.strip().splitlines()[-1].split()
    assert (job_name, status) == ("workflow__echo", "success")

    from pipelines.instance import open_instance

    run = open_instance(joblens_home).get_run_by_id(run_id)
    assert run.tags["joblens/trigger"] == "manual" and run.tags["dagster/priority"] == "7"
    assert run.tags["joblens/trigger_source"] == str(payload)
    rows = kit.lake_rows(joblens_home.lake, "select name from snapshots where run_id = ? and kind = 'input'", [run_id])
    assert rows == [("payload",)]


def test_joblens_run_refuses_a_bad_payload_without_a_run(tmp_path, joblens_home, monkeypatch):
    from pipelines.cli.app import _register, app

    kit.write_workflow(tmp_path / "wf", "echo", STEPS, inputs=INPUTS)
    monkeypatch.setenv("JOBLENS_WORKFLOWS", str(tmp_path / "wf"))
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"text": 5}))
    _register()
    result = CliRunner().invoke(app, ["run", "echo", "--input", str(payload), "--wait"])
    assert result.exit_code != 0
    assert "input/text: 5 is not of type 'string'" in str(result.exception)
    from pipelines.instance import open_instance

    assert open_instance(joblens_home).get_runs() == []


@pytest.mark.slow
def test_joblens_run_queues_on_the_instance_through_the_code_location(tmp_path, joblens_home):
    from pipelines.cli.app import _register, app
    from pipelines.instance import open_instance

    payload = tmp_path / "ticket.json"
    payload.write_text(json.dumps({"ticket_id": "T-3", "subject": "Invoice", "body": "Charged twice."}))
    _register()
    result = CliRunner().invoke(app, ["run", "support_ticket_triage", "--input", str(payload), "--priority", "9"])
    assert result.exit_code == 0, result.output
    run_id, job_name, status = result.stdout.strip().splitlines()[-1].split()
    assert (job_name, status) == ("workflow__support_ticket_triage", "queued")
    run = open_instance(joblens_home).get_run_by_id(run_id)
    assert run.tags["dagster/priority"] == "9" and run.tags["joblens/trigger"] == "manual"
    assert run.remote_job_origin.location_name == "joblens"
