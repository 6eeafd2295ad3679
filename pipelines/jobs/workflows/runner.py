"""Manual runs and the webhook server, as the ``joblens`` CLI starts them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.home import resolve_home
from pipelines.instance import open_instance
from pipelines.jobs.workflows.loader import find_workflow, load_workflows
from pipelines.jobs.workflows.spec import WorkflowSpec, payload_error


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    job_name: str
    status: str  # Dagster's run status, lowercase
    message: str = ""


def read_payload(path: Path, spec: WorkflowSpec) -> dict:
    """A payload file, checked against the workflow's input schema."""
    try:
        payload = json.loads(Path(path).read_text())
    except OSError as exc:
        raise JoblensError(f"{path}: cannot read input file: {exc.strerror}") from None
    except ValueError as exc:
        raise JoblensError(f"{path}: not valid JSON: {exc}") from None
    reason = payload_error(spec.inputs, payload)
    if reason:
        raise JoblensError(f"{path}: {reason} (workflow {spec.name})")
    return payload


def run_workflow(name: str, input_path: Path, priority: int | None = None, wait: bool = False,
                 folder: Path | None = None) -> RunOutcome:
    """Launch ``name`` on the instance (queued when it queues), or run it here when ``wait``."""
    spec = find_workflow(name, folder)
    payload = read_payload(input_path, spec)
    if priority is not None and not -100 <= priority <= 100:
        raise JoblensError(f"--priority {priority}: must be from -100 to 100")
    tags = {"joblens/trigger": "manual", "joblens/trigger_source": str(Path(input_path).absolute())}
    home = resolve_home().ensure()
    instance = open_instance(home)
    if wait:
        return _run_here(instance, spec, payload, tags, priority)
    from pipelines.jobs.workflows.launch import WorkflowLauncher

    with WorkflowLauncher(instance) as launcher:
        run = launcher.launch(spec, payload, tags, priority)
    return RunOutcome(run.run_id, spec.job_name, run.status.value.lower())


def _run_here(instance, spec: WorkflowSpec, payload: dict, tags: dict, priority: int | None) -> RunOutcome:
    from pipelines.jobs.workflows.factory import build_job, job_tags, run_config
    from pipelines.telemetry.resource import TelemetryResource

    result = build_job(spec).execute_in_process(
        run_config=run_config(spec, payload), instance=instance, raise_on_error=False,
        tags={**job_tags(spec, priority), **tags}, resources={"telemetry": TelemetryResource()},
    )
    run = instance.get_run_by_id(result.run_id)
    message = ""
    if not result.success:
        failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        if failures:
            error = failures[-1].step_failure_data.error
            message = f"{failures[-1].step_key}: {error.message.strip().splitlines()[0] if error else 'failed'}"
    return RunOutcome(result.run_id, spec.job_name, run.status.value.lower(), message)


def serve_webhook(host: str, port: int, folder: Path | None = None, ready=None) -> None:
    """Serve the webhook until interrupted; ``ready(server)`` is called once it listens."""
    from pipelines.jobs.workflows.launch import WorkflowLauncher
    from pipelines.jobs.workflows.webhook import WebhookApp, make_server, token_from_env
    from pipelines.telemetry.resource import TelemetryResource

    loaded = load_workflows(folder)
    if not loaded.specs:
        raise JoblensError("no workflow loaded: " + ("; ".join(loaded.errors) or "the folder is empty"))
    instance = open_instance(resolve_home().ensure())
    with WorkflowLauncher(instance) as launcher:
        app = WebhookApp(loaded.by_name(), launcher, TelemetryResource(), token_from_env())
        server = make_server(app, host, port)
        if ready is not None:
            ready(server, loaded.errors)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
