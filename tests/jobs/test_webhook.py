"""The webhook trigger: a good payload queues a run (202 + run id + input snapshot), a bad one is refused."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from pipelines.instance import open_instance
from pipelines.jobs.workflows.launch import CodeTarget, WorkflowLauncher
from pipelines.jobs.workflows.loader import load_workflows
from pipelines.jobs.workflows.webhook import WebhookApp, make_server
from pipelines.telemetry.resource import TelemetryResource
from tests.jobs import workflow_testkit as kit


INPUTS = {"type": "object", "required": ["ticket_id", "body"], "additionalProperties": False,
          "properties": {"ticket_id": {"type": "string"}, "body": {"type": "string", "minLength": 3}}}


@pytest.fixture
def webhook(tmp_path, joblens_home, monkeypatch):
    """A webhook server on a free port over a persisted instance with JobLens's queued run coordinator."""
    folder = tmp_path / "workflows"
    kit.write_workflow(folder, "triage", [{"name": "shout", "kind": "transform", "expression": "input.body | upper"}],
                       inputs=INPUTS, priority=4)
    monkeypatch.setenv("JOBLENS_WORKFLOWS", str(folder))
    monkeypatch.setenv("JOBLENS_WEBHOOK_TOKEN", "s3cret")
    instance = open_instance(joblens_home)
    target = CodeTarget(python_file=str(Path(__file__).with_name("webhook_location.py")), attribute="defs")
    with WorkflowLauncher(instance, target) as launcher:
        app = WebhookApp(load_workflows(folder).by_name(), launcher, TelemetryResource(), token="s3cret")
        server = make_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        client = httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}",
                              headers={"Authorization": "Bearer s3cret"}, timeout=30)
        try:
            yield client, instance
        finally:
            client.close()
            server.shutdown()
            server.server_close()
    instance.dispose()


def test_accepted_payload_queues_a_run_with_its_input_snapshot(webhook, joblens_home):
    client, instance = webhook
    payload = {"ticket_id": "T-7", "body": "the export crashes"}
    response = client.post("/workflows/triage", json=payload)
    assert response.status_code == 202, response.text
    body = response.json()
    run = instance.get_run_by_id(body["run_id"])
    assert body["job"] == "workflow__triage" == run.job_name
    assert run.status.value == "QUEUED"
    assert run.run_config == {"ops": {"triage__inputs": {"config": {"payload": payload}}}}
    assert run.tags["joblens/trigger"] == "webhook" and run.tags["joblens/trigger_source"] == "/workflows/triage"
    assert run.tags["joblens/job_type"] == "workflow" and run.tags["dagster/priority"] == "4"
    assert run.remote_job_origin.location_name == "joblens"  # the daemon finds it in the code location
    snapshots = kit.lake_rows(joblens_home.lake, "select run_id, kind, name, content_hash, preview from snapshots")
    assert [(r[0], r[1], r[2]) for r in snapshots] == [(body["run_id"], "input", "webhook_payload")]
    assert json.loads(snapshots[0][4]) == payload
    assert kit.lake_rows(joblens_home.lake, "select count(*) from steps") == [(0,)]  # no phantom step


@pytest.mark.parametrize(
    ("path", "payload", "status", "reason"),
    [
        ("/workflows/triage", {"ticket_id": "T-8"}, 400, "'body' is a required property"),
        ("/workflows/triage", {"ticket_id": "T-8", "body": "ok!", "extra": 1}, 400, "Additional properties"),
        ("/workflows/triage", {"ticket_id": 8, "body": "crash"}, 400, "input/ticket_id"),
        ("/workflows/nope", {"ticket_id": "T-8", "body": "crash"}, 404, "unknown workflow 'nope'"),
    ],
)
def test_rejected_payload_gets_the_reason_and_no_run(webhook, joblens_home, path, payload, status, reason):
    client, instance = webhook
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert instance.get_runs() == []
    assert kit.lake_rows(joblens_home.lake, "select count(*) from snapshots") == [(0,)]


def test_malformed_json_and_missing_token_are_refused(webhook):
    client, instance = webhook
    response = client.post("/workflows/triage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    response = client.post("/workflows/triage", json={"ticket_id": "T", "body": "abc"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert client.get("/workflows").json() == {"workflows": ["triage"]}
    assert instance.get_runs() == []
