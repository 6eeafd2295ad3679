"""Shared pieces of the queue tests: a persisted instance with JobLens's dagster.yaml, a workspace
serving ``queue_location.py`` over gRPC, submitting runs, queue daemon ticks, waiting, the lake.

Loaded through ``load_queue_testkit()`` (pytest's importlib mode: test folders are not packages).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml

from pipelines.home import Home
from pipelines.instance import InstanceSettings, instance_config, open_instance
from pipelines.lake.reader import connect

LOCATION_FILE = Path(__file__).with_name("queue_location.py")
LOCATION = "joblens_queue_tests"


def persisted_instance(home: Home, max_concurrent_runs: int = 1):
    """JobLens's generated dagster.yaml with a small global limit, opened from DAGSTER_HOME."""
    home.dagster.mkdir(parents=True, exist_ok=True)
    config = instance_config(InstanceSettings(max_concurrent_runs=max_concurrent_runs))
    (home.dagster / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return open_instance(home)


@contextmanager
def workspace(instance):
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import PythonFileTarget

    target = PythonFileTarget(python_file=str(LOCATION_FILE), attribute="defs", working_directory=None,
                              location_name=LOCATION)
    with create_test_daemon_workspace_context(target, instance) as context:
        yield context


def submit(context, job_name: str, run_config: dict | None = None, tags: dict | None = None) -> str:
    """Create a run of ``job_name`` from the workspace and submit it to the queue; its id."""
    from dagster._core.definitions.selector import JobSubsetSelector

    request = context.create_request_context()
    location = request.get_code_location(LOCATION)
    repo = next(iter(location.get_repositories().values()))
    remote_job = location.get_job(JobSubsetSelector(location_name=LOCATION, repository_name=repo.name,
                                                    job_name=job_name, op_selection=None))
    plan = location.get_execution_plan(remote_job, run_config or {}, step_keys_to_execute=None, known_state=None,
                                       instance=context.instance)
    run = context.instance.create_run(
        job_name=job_name, run_id=None, run_config=run_config or {}, resolved_op_selection=None,
        step_keys_to_execute=None, op_selection=None, status=None, root_run_id=None, parent_run_id=None,
        tags={**remote_job.tags, **(tags or {})}, job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot, parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(), job_code_origin=remote_job.get_python_origin(),
        asset_selection=None, asset_check_selection=None, asset_graph=repo.asset_graph,
    )
    return context.instance.submit_run(run.run_id, request).run_id


def tick_queue(context) -> None:
    """One iteration of Dagster's queued run coordinator daemon."""
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    with QueuedRunCoordinatorDaemon(interval_seconds=1) as daemon:
        list(daemon.run_iteration(context))


def status(instance, run_id: str) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def wait_for(instance, run_id: str, statuses, timeout: float = 60.0) -> dg.DagsterRunStatus:
    deadline = time.time() + timeout
    while time.time() < deadline:
        current = status(instance, run_id)
        if current in statuses:
            return current
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {status(instance, run_id)} after {timeout}s")


FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def lake_rows(lake: Path, sql: str, *params) -> list[tuple]:
    con = connect(lake)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"condition not met after {timeout}s")


def finished_batches(store, root_run_id: str) -> set[int]:
    """Checkpointed batches; the run worker may hold the DuckDB file for a moment, so retry."""
    import duckdb

    for _ in range(50):
        try:
            return store.finished_batches(root_run_id)
        except duckdb.IOException:
            time.sleep(0.1)
    return store.finished_batches(root_run_id)


def load_location():
    """``queue_location.py`` imported in the test process (for job definitions)."""
    import importlib.util
    import sys

    name = "joblens_tests_jobs_queue_location"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, LOCATION_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
