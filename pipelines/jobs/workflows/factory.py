"""A ``WorkflowSpec`` becomes a Dagster job: an ``inputs`` op, then one op per step, in order.

Each op receives the run's scope (payload, earlier outputs, skipped steps) and returns it
with its own output added. Every op runs inside ``telemetry.step`` (logs, snapshots,
model calls, progress, CPU/memory) and turns a failure into a retry or a coded failure
through ``pipelines.jobs.retry``. Workflow jobs use the in-process executor: their steps
are small, and a process per step would cost more than the work.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from pipelines.instance import job_type_tags
from pipelines.jobs.retry import RetryProfile, decide, raise_decision
from pipelines.jobs.workflows.spec import StepSpec, WorkflowSpec, payload_error
from pipelines.jobs.workflows.steps import run_step

JOB_TYPE = "workflow"


class InputValidationError(ValueError):
    """A run's payload does not match its workflow's input schema."""


def inputs_op_name(spec: WorkflowSpec) -> str:
    return f"{spec.name}__inputs"


def run_config(spec: WorkflowSpec, payload: dict) -> dict:
    """The run config that gives a run of ``spec`` this payload as its input."""
    return {"ops": {inputs_op_name(spec): {"config": {"payload": payload}}}}


def job_tags(spec: WorkflowSpec, priority: int | None = None) -> dict[str, str]:
    """The tags of every run of ``spec``: type, team, priority, max runtime, workflow and retry profile."""
    return {
        **spec.tags,
        **job_type_tags(JOB_TYPE, spec.priority if priority is None else priority, spec.team),
        "joblens/workflow": spec.name,
        "joblens/retry_profile": spec.retry.name,
    }


def _fail_or_retry(context, t, exc: Exception, profile: RetryProfile) -> None:
    """Record the error, then retry it (transient, retries left) or fail with its code."""
    code = t.record_error(exc)
    decision = decide(exc, profile, context.retry_number, f"{context.run_id}:{context.op.name}", code)
    if decision.retry:
        t.warning(f"{code.code}: retrying in {decision.wait_s}s", error_code=code.code, attempt=decision.attempt,
                  next_attempt=decision.attempt + 1, wait_s=decision.wait_s, retry_profile=profile.name)
    raise_decision(decision, exc, profile)


def _inputs_op(spec: WorkflowSpec) -> dg.OpDefinition:
    @dg.op(
        name=inputs_op_name(spec),
        description=f"Check the run's payload against the input schema of workflow {spec.name}.",
        config_schema={"payload": dg.Field(dg.Permissive(), default_value=spec.example or {}, is_required=False)},
        required_resource_keys={"telemetry"},
        tags={"joblens/step_kind": "inputs"},
    )
    def inputs(context) -> dict:
        payload = dict(context.op_config["payload"])
        with context.resources.telemetry.step(context) as t:
            t.snapshot("input", "payload", payload)
            reason = payload_error(spec.inputs, payload)
            if reason:
                _fail_or_retry(context, t, InputValidationError(f"invalid input for {spec.name}: {reason}"), spec.retry)
            t.progress(0, len(spec.steps), "inputs checked")
        return {"input": payload, "steps": {}, "previous": payload, "skipped": [], "order": [s.name for s in spec.steps]}

    return inputs


def _step_op(spec: WorkflowSpec, step: StepSpec, index: int) -> dg.OpDefinition:
    profile = step.retry or spec.retry
    last = index == len(spec.steps) - 1

    @dg.op(
        name=f"{spec.name}__{step.name}",
        description=step.description,
        required_resource_keys={"telemetry"},
        tags={"joblens/step_kind": step.kind, "joblens/retry_profile": profile.name},
    )
    def workflow_step(context, scope: dict) -> dg.Output:
        with context.resources.telemetry.step(context) as t:
            if step.name in scope["skipped"]:
                t.info("skipped by a branch", step=step.name)
                t.progress(index + 1, len(spec.steps), f"skipped {step.name}")
                return dg.Output(_with_output(scope, step.name, None), metadata={"skipped": True})
            t.progress(index, len(spec.steps), f"{step.kind} {step.name}")
            try:
                output = run_step(step, _visible(scope, context), t)
            except Exception as exc:  # every failure is classified: retried if transient, else coded
                _fail_or_retry(context, t, exc, profile)
            t.snapshot("output" if last else "intermediate", step.name, _snapshot_value(output))
            t.progress(index + 1, len(spec.steps), f"{step.kind} {step.name} done")
        new_scope = _with_output(scope, step.name, output)
        if step.kind == "branch":
            new_scope["skipped"] = scope["skipped"] + output["skipped"]
        return dg.Output(new_scope, metadata={"skipped": False, "attempt": context.retry_number + 1})

    return workflow_step


def _visible(scope: dict, context) -> dict:
    """What templates see: the scope plus the run's identity."""
    return {**scope, "run": {"id": context.run_id, "job": context.job_name, "workflow": context.job_name.split("__", 1)[-1]}}


def _with_output(scope: dict, name: str, output: Any) -> dict:
    steps = {**scope["steps"], name: output}
    previous = output if output is not None else scope["previous"]
    return {**scope, "steps": steps, "previous": previous}


def _snapshot_value(output: Any) -> Any:
    return output if isinstance(output, (dict, list, str, bytes)) else {"value": output}


def build_job(spec: WorkflowSpec) -> dg.JobDefinition:
    """The Dagster job ``workflow__<name>`` of one workflow file."""
    first = _inputs_op(spec)
    ops = [_step_op(spec, step, index) for index, step in enumerate(spec.steps)]

    @dg.job(
        name=spec.job_name,
        description=spec.description,
        tags=job_tags(spec),
        executor_def=dg.in_process_executor,
        metadata={"workflow file": str(spec.path), "team": spec.team, "retry profile": spec.retry.name},
    )
    def workflow_job():
        scope = first()
        for op in ops:
            scope = op(scope)

    return workflow_job
