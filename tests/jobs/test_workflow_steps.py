"""Each step kind in a real in-process run, with what it records in the lake."""

from __future__ import annotations

import json

import pytest
from tests.jobs import workflow_testkit as kit




def test_transform_validate_and_branch_skip(tmp_path, joblens_home):
    path = kit.write_workflow(tmp_path / "wf", "scoring", [
        {"name": "score", "kind": "transform", "output": {"total": "input.items | sum", "n": "input.items | length"}},
        {"name": "check", "kind": "validate", "value": "steps.score",
         "schema": {"type": "object", "properties": {"total": {"type": "integer"}}, "required": ["total"]}},
        {"name": "big_only", "kind": "branch", "condition": "steps.score.total > 100", "skip": ["label_big"]},
        {"name": "label_big", "kind": "transform", "expression": "'big'"},
        {"name": "label_any", "kind": "transform", "expression": "'seen ' ~ steps.score.n ~ ' items'"},
    ])
    spec, result = kit.run_spec(path, {"items": [5, 7]}, joblens_home.lake)
    assert result.success
    scope = kit.final_scope(spec, result)
    assert scope["steps"]["score"] == {"total": 12, "n": 2}
    assert scope["steps"]["big_only"] == {"condition": False, "skipped": ["label_big"]}
    assert scope["steps"]["label_big"] is None  # skipped, and the step after it still ran
    assert scope["steps"]["label_any"] == "seen 2 items"
    skipped = kit.lake_rows(joblens_home.lake, "select step_key from logs where message = 'skipped by a branch'")
    assert skipped == [("scoring__label_big",)]
    snaps = kit.lake_rows(joblens_home.lake, "select kind, name from snapshots where run_id = ? order by ts", [result.run_id])
    assert snaps[0] == ("input", "payload") and snaps[-1] == ("output", "label_any")
    progress = kit.lake_rows(joblens_home.lake, "select fields from logs where kind = 'progress' and step_key = 'scoring__label_any'")
    assert {json.loads(f)["done"] for (f,) in progress} == {4, 5}


def test_validate_failure_is_data_validation_and_not_retried(tmp_path, joblens_home):
    path = kit.write_workflow(tmp_path / "wf", "strict", [
        {"name": "check", "kind": "validate", "value": "input", "schema": {"type": "object", "required": ["id"]}},
    ], retry={"max_retries": 3, "base_delay_s": 0.01})
    spec, result = kit.run_spec(path, {"name": "no id"}, joblens_home.lake)
    assert not result.success
    assert kit.step_events(result, "STEP_UP_FOR_RETRY") == []
    failure = kit.step_events(result, "STEP_FAILURE", "strict__check")[0]
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["joblens/error_code"].value == "data_validation"
    errors = kit.lake_rows(joblens_home.lake, "select error_code, transient, attempt from errors")
    assert errors == [("data_validation", False, 1)]


def test_input_schema_is_enforced_in_the_run(tmp_path, joblens_home):
    path = kit.write_workflow(tmp_path / "wf", "typed", [{"name": "echo", "kind": "transform", "expression": "input.n"}],
                              inputs={"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}})
    spec, result = kit.run_spec(path, {"n": "seven"}, joblens_home.lake)
    assert not result.success
    failure = kit.step_events(result, "STEP_FAILURE", "typed__inputs")[0]
    assert "input/n" in failure.step_failure_data.error.message
    assert kit.lake_rows(joblens_home.lake, "select kind, name from snapshots") == [("input", "payload")]


def test_http_step_sends_rendered_request_and_records_the_response(tmp_path, joblens_home, monkeypatch):
    monkeypatch.setenv("CRM_TOKEN", "tok-123")

    def respond(handler, body):
        return 200, {"name": "Northwind", "employees": 1200, "echo": json.loads(body or b"null")}, {}

    with kit.http_server(respond) as (base, requests):
        path = kit.write_workflow(tmp_path / "wf", "lookup", [
            {"name": "fetch", "kind": "http", "method": "POST", "url": base + "/companies/{{ input.domain }}",
             "params": {"v": "2"}, "headers": {"Authorization": "Bearer {{ env('CRM_TOKEN') }}"},
             "json": {"domain": "{{ input.domain }}", "tags": "{{ input.tags }}"}, "timeout_s": 5},
        ])
        spec, result = kit.run_spec(path, {"domain": "northwind.example", "tags": ["a", "b"]}, joblens_home.lake)
    assert result.success
    sent = requests[0]
    assert sent["path"] == "/companies/northwind.example?v=2"
    assert sent["headers"]["Authorization"] == "Bearer tok-123"
    assert json.loads(sent["body"]) == {"domain": "northwind.example", "tags": ["a", "b"]}  # a list stays a list
    output = kit.final_scope(spec, result)["steps"]["fetch"]
    assert output["status"] == 200 and output["json"]["employees"] == 1200
    names = {n for (n,) in kit.lake_rows(joblens_home.lake, "select name from snapshots")}
    assert "fetch.response" in names


def test_http_timeout_is_a_transient_timeout(tmp_path, joblens_home):
    import time

    def slow(handler, body):
        time.sleep(0.6)
        return 200, {}, {}

    with kit.http_server(slow) as (base, _):
        path = kit.write_workflow(tmp_path / "wf", "slowpoke", [
            {"name": "fetch", "kind": "http", "url": base, "timeout_s": 0.2, "retry": "none"},
        ])
        spec, result = kit.run_spec(path, {}, joblens_home.lake)
    assert not result.success
    assert kit.lake_rows(joblens_home.lake, "select error_code, transient from errors") == [("timeout", True)]


def test_notify_step_goes_through_the_alerting_channels(tmp_path, joblens_home, monkeypatch):
    channels = tmp_path / "channels.yaml"
    outbox = joblens_home.root / "alerts" / "workflow-test.jsonl"  # joblensfile:// paths are under JOBLENS_HOME
    channels.write_text("version: 1\nurls:\n  - joblensfile://alerts/workflow-test.jsonl:\n      tag: support\n")
    monkeypatch.setenv("JOBLENS_CHANNELS", str(channels))
    path = kit.write_workflow(tmp_path / "wf", "pager", [
        {"name": "tell", "kind": "notify", "route": "support", "severity": "critical",
         "title": "Ticket {{ input.id }}", "body": "customer {{ input.who }} is blocked"},
    ])
    spec, result = kit.run_spec(path, {"id": "T-9", "who": "dana"}, joblens_home.lake)
    assert result.success
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [(m["title"], m["body"], m["type"]) for m in sent] == [("Ticket T-9", "customer dana is blocked", "failure")]
    assert kit.lake_rows(joblens_home.lake, "select name from snapshots where name = 'tell.message'") == [("tell.message",)]


def test_local_llm_is_deterministic_and_counts_tokens_one_way(tmp_path, joblens_home):
    from pipelines.jobs.workflows.tokens import count_tokens

    text = ("The invoice was charged twice. I want a refund for the second charge. "
            "The weather is nice today. Please refund my card before Friday.")
    path = kit.write_workflow(tmp_path / "wf", "triage", [
        {"name": "label", "kind": "llm", "task": "classify", "prompt": "Queue?", "input": "{{ input.text }}",
         "labels": ["billing", "bug", "other"], "keywords": {"billing": ["refund", "invoice", "charge"]}},
        {"name": "gist", "kind": "llm", "task": "summarize", "sentences": 2, "input": "{{ input.text }}"},
        {"name": "vec", "kind": "llm", "operation": "embedding", "input": "{{ steps.gist.text }}"},
    ])
    outputs = []
    for _ in range(2):
        spec, result = kit.run_spec(path, {"text": text}, joblens_home.lake)
        assert result.success
        outputs.append(kit.final_scope(spec, result)["steps"])
    assert outputs[0] == outputs[1]
    assert outputs[0]["label"]["label"] == "billing"
    assert outputs[0]["gist"]["text"].count(".") == 2 and "weather" not in outputs[0]["gist"]["text"]
    assert len(outputs[0]["vec"]["vectors"][0]) == 64
    calls = kit.lake_rows(joblens_home.lake, "select step_key, provider, operation, input_tokens, output_tokens from model_calls "
                                             "where run_id = ? order by ts", [result.run_id])
    assert [c[1:3] for c in calls] == [("local", "chat"), ("local", "chat"), ("local", "embeddings")]
    assert calls[1][3] == count_tokens(text) and calls[1][4] == count_tokens(outputs[0]["gist"]["text"])
    assert calls[2][3] == count_tokens(outputs[0]["gist"]["text"])


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("hello", 2), ("hello, world!", 6), ("a_b", 3)])
def test_token_counter(text, tokens):
    from pipelines.jobs.workflows.tokens import count_tokens

    assert count_tokens(text) == tokens


def test_templates_cannot_reach_python_internals(tmp_path, joblens_home):
    path = kit.write_workflow(tmp_path / "wf", "escape", [
        {"name": "peek", "kind": "transform", "expression": "input.__class__.__mro__"},
    ])
    spec, result = kit.run_spec(path, {}, joblens_home.lake)
    assert not result.success
    assert kit.step_events(result, "STEP_UP_FOR_RETRY") == []
    assert kit.lake_rows(joblens_home.lake, "select error_class, error_code from errors") == [
        ("pipelines.jobs.workflows.steps.TemplateDataError", "data_validation")]


def test_a_field_missing_from_the_payload_fails_as_data_validation(tmp_path, joblens_home):
    path = kit.write_workflow(tmp_path / "wf", "needs", [
        {"name": "pick", "kind": "transform", "expression": "input.customer.id"},
    ], retry={"max_retries": 2, "base_delay_s": 0.01})
    spec, result = kit.run_spec(path, {"customer": {}}, joblens_home.lake)
    assert not result.success and kit.step_events(result, "STEP_UP_FOR_RETRY") == []
    message = kit.lake_rows(joblens_home.lake, "select message from errors")[0][0]
    assert "invalid data for step pick" in message and "'id'" in message
