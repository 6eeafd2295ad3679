"""A run cancelled mid-step, the way the Dagster UI's "Terminate" does it.

An in-process run cannot be told to stop from outside, so this one is launched as in
production: the code location served by a gRPC code server, the run executed by a run
worker process, and ``pipelines.jobs.control.cancel_run`` asking the run launcher to
terminate it once the chosen step is running.
"""

from __future__ import annotations

import time

from pipelines.home import Home

LAUNCH_TIMEOUT_S = 120.0
ACTOR = "joblens-demo"


def run_and_cancel(instance, home: Home, job_name: str, run_config: dict, tags: dict[str, str], step_key: str) -> str:
    """Launch ``job_name`` in a run worker, cancel it while ``step_key`` runs; the run id."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import ModuleTarget

    from pipelines.jobs.workflows.launch import CODE_MODULE, LOCATION_NAME, REPO_ROOT

    target = ModuleTarget(CODE_MODULE, None, str(REPO_ROOT), LOCATION_NAME)
    with WorkspaceProcessContext(instance, target, code_server_log_level="WARNING") as workspace:
        request = workspace.create_request_context()
        run = _create_run(instance, request, job_name, run_config, tags)
        instance.launch_run(run.run_id, request)
        _wait_for_step(instance, run.run_id, step_key)
        _cancel(instance, home, run.run_id, force=False)
        if not _wait_until_finished(instance, run.run_id):
            _cancel(instance, home, run.run_id, force=True)  # never leave the demo's run behind, running
    return run.run_id


def _cancel(instance, home: Home, run_id: str, force: bool) -> None:
    from pipelines.errors import JoblensError
    from pipelines.jobs.control import cancel_run

    try:
        cancel_run(instance, home.lake, run_id, ACTOR, force=force)
    except JoblensError:  # it finished first: the summary shows how
        pass


def _create_run(instance, request, job_name: str, run_config: dict, tags: dict[str, str]):
    from dagster._cli.job import _create_run as create_run_from_location

    from pipelines.errors import JoblensError
    from pipelines.jobs.workflows.launch import LOCATION_NAME

    entry = request.get_code_location_entries().get(LOCATION_NAME)
    if entry is None or entry.code_location is None:
        error = entry.load_error.message.strip().splitlines()[-1] if entry and entry.load_error else "not found"
        raise JoblensError(f"code location {LOCATION_NAME!r} did not load in its code server: {error}")
    location = entry.code_location
    repo = next(r for r in location.get_repositories().values() if r.has_job(job_name))
    return create_run_from_location(instance, location, repo, repo.get_full_job(job_name), run_config, tags, None, None)


def _wait_for_step(instance, run_id: str, step_key: str) -> bool:
    """Wait until ``step_key`` starts; False when the run finished first or the wait timed out."""
    import dagster as dg

    deadline = time.monotonic() + LAUNCH_TIMEOUT_S
    while time.monotonic() < deadline:
        started = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        if any(record.step_key == step_key for record in started):
            return True
        if instance.get_run_by_id(run_id).is_finished:
            return False
        time.sleep(0.1)
    return False


def _wait_until_finished(instance, run_id: str) -> bool:
    deadline = time.monotonic() + LAUNCH_TIMEOUT_S
    while time.monotonic() < deadline:
        if instance.get_run_by_id(run_id).is_finished:
            return True
        time.sleep(0.2)
    return False
