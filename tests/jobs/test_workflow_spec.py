"""Workflow files: every mistake is one error naming file, step and field; the rest still load."""

from __future__ import annotations

import logging

import pytest

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS, find_workflow, load_workflows
from pipelines.jobs.workflows.spec import load_spec
from tests.jobs import workflow_testkit as kit


GOOD_STEP = {"name": "shout", "kind": "transform", "expression": "input.text | upper"}


@pytest.mark.parametrize(
    ("steps", "top", "fragments"),
    [
        ([{"name": "fetch", "kind": "http"}], {}, ["step 'fetch' (steps[0])", "field 'url'", "required"]),
        ([GOOD_STEP, {"name": "ask", "kind": "llm", "prompt": "x", "max_tokens": "many"}], {},
         ["step 'ask' (steps[1])", "field 'max_tokens'", "positive integer"]),
        ([{"name": "x", "kind": "shell", "command": "rm -rf /"}], {}, ["step 'x' (steps[0])", "field 'kind'", "'shell'"]),
        ([{"name": "x", "kind": "transform", "expression": "input.a", "colour": "red"}], {},
         ["step 'x' (steps[0])", "field 'colour'", "not a setting of a transform step"]),
        ([{"name": "x", "kind": "transform", "expression": "input.a +"}], {}, ["step 'x'", "field 'expression'", "template error"]),
        ([{"name": "x", "kind": "transform", "expression": "steps.later.value"}, {**GOOD_STEP, "name": "later"}], {},
         ["step 'x' (steps[0])", "field 'expression'", "'later'", "not an earlier step"]),
        ([GOOD_STEP, {"name": "gate", "kind": "branch", "condition": "true", "skip": ["shout"]}], {},
         ["step 'gate' (steps[1])", "field 'skip'", "'shout' is not a later step"]),
        ([{"name": "x", "kind": "http", "url": "http://h", "json": {}, "body": "b"}], {}, ["step 'x'", "field 'body'", "not both"]),
        ([{"name": "x", "kind": "validate", "schema": {"type": "banana"}}], {}, ["step 'x'", "field 'schema'", "invalid JSON schema"]),
        ([{"name": "x", "kind": "llm", "task": "classify", "prompt": "p"}], {}, ["step 'x'", "field 'labels'"]),
        ([GOOD_STEP, dict(GOOD_STEP)], {}, ["step 'shout' (steps[1])", "field 'name'", "already used"]),
        ([{**GOOD_STEP, "retry": {"max_retries": -1}}], {}, ["step 'shout' (steps[0])", "field 'retry'", "max_retries"]),
        ([GOOD_STEP], {"retry": "sometimes"}, ["field 'retry'", "unknown retry profile 'sometimes'"]),
        ([GOOD_STEP], {"schedule": "every day"}, ["field 'schedule.cron'", "not a valid cron"]),
        ([GOOD_STEP], {"priority": 1000}, ["field 'priority'"]),
        ([GOOD_STEP], {"inputs": {"type": "object", "required": ["a"]}, "example": {}}, ["field 'example'", "'a' is a required property"]),
        ([], {}, ["field 'steps'", "non-empty list"]),
    ],
)
def test_a_mistake_is_one_error_naming_file_step_and_field(tmp_path, steps, top, fragments):
    path = kit.write_workflow(tmp_path / "wf", "broken", steps, **top)
    with pytest.raises(JoblensError) as raised:
        load_spec(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_yaml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsteps: [\n")
    with pytest.raises(JoblensError, match=rf"^{path}: not valid YAML"):
        load_spec(path)


def test_a_broken_file_does_not_stop_the_others(tmp_path, caplog):
    folder = tmp_path / "wf"
    kit.write_workflow(folder, "good_one", [GOOD_STEP])
    kit.write_workflow(folder, "bad_one", [{"name": "fetch", "kind": "http", "url": 42}])
    kit.write_workflow(folder, "good_two", [GOOD_STEP])
    (folder / "zz_copy.yaml").write_text((folder / "good_one.yaml").read_text())
    loaded = load_workflows(folder)
    assert sorted(s.name for s in loaded.specs) == ["good_one", "good_two"]
    assert len(loaded.errors) == 2
    assert "bad_one.yaml: step 'fetch' (steps[0]): field 'url'" in loaded.errors[0]
    assert "zz_copy.yaml: field 'name'" in loaded.errors[1] and "already defined" in loaded.errors[1]

    from pipelines.jobs.workflows.definitions import definitions

    with caplog.at_level(logging.ERROR, logger="joblens.workflows"):
        defs = definitions(folder)
    assert sorted(j.name for j in defs.jobs) == ["workflow__good_one", "workflow__good_two"]
    assert any("workflow_errors" in r.getMessage() and "bad_one.yaml" in r.getMessage() for r in caplog.records)
    assert defs.metadata["workflow_errors"].data == loaded.errors
    with pytest.raises(JoblensError, match="bad_one.yaml: step 'fetch'"):
        find_workflow("bad_one", folder)


def test_shipped_workflows_load_into_jobs_with_joblens_tags():
    loaded = load_workflows(SHIPPED_WORKFLOWS)
    assert loaded.errors == []
    names = {s.name for s in loaded.specs}
    assert {"support_ticket_triage", "document_summarization", "lead_enrichment"} <= names
    import dagster as dg

    from pipelines.jobs.definitions import definitions
    from pipelines.telemetry.resource import TelemetryResource

    # The code location binds `telemetry` in the telemetry area's definitions; bind it here.
    defs = dg.Definitions.merge(definitions(), dg.Definitions(resources={"telemetry": TelemetryResource()}))
    job = defs.resolve_job_def("workflow__support_ticket_triage")
    assert job.tags["joblens/job_type"] == "workflow"
    assert job.tags["joblens/team"] == "support"
    assert job.tags["dagster/priority"] == "5"
    assert "dagster/max_runtime" in job.tags
    spec = find_workflow("support_ticket_triage", SHIPPED_WORKFLOWS)
    assert {n.name for n in job.nodes} == {f"{spec.name}__{s}" for s in ["inputs", *(s.name for s in spec.steps)]}
    workflow_schedules = {s.name for s in defs.schedules if s.name.startswith("workflow__")}
    assert workflow_schedules == {"workflow__document_summarization_schedule"}
    assert "workflow__lead_enrichment_inbox_sensor" in {s.name for s in defs.sensors}
