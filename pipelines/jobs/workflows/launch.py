"""Launch workflow runs on the Dagster instance from outside Dagster (webhook, ``joblens run``).

A run is created the way ``dagster job launch`` creates one: from the code location as a
workspace sees it, so the run carries the origin the daemon and run launcher need. With a
queued run coordinator (JobLens's ``dagster.yaml``) submitting only queues the run, so the
code location is loaded in this process; otherwise the run launcher needs a code server,
and a managed gRPC server is started for the launcher's lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.factory import job_tags, run_config
from pipelines.jobs.workflows.spec import WorkflowSpec

LOCATION_NAME = "joblens"
CODE_MODULE = "pipelines.definitions"
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class CodeTarget:
    """Where the code location's ``Definitions`` live: a module (default) or a Python file."""

    module_name: str | None = CODE_MODULE
    python_file: str | None = None
    attribute: str | None = None
    working_directory: str = str(REPO_ROOT)


def _load_target(instance, target: CodeTarget):
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget, ModuleTarget, PythonFileTarget

    if isinstance(instance.run_coordinator, QueuedRunCoordinator):
        origin = LoadableTargetOrigin(
            python_file=target.python_file, module_name=None if target.python_file else target.module_name,
            attribute=target.attribute, working_directory=target.working_directory,
        )
        return InProcessWorkspaceLoadTarget(InProcessCodeLocationOrigin(origin, location_name=LOCATION_NAME))
    if target.python_file:
        return PythonFileTarget(target.python_file, target.attribute, target.working_directory, LOCATION_NAME)
    return ModuleTarget(target.module_name, target.attribute, target.working_directory, LOCATION_NAME)


class WorkflowLauncher:
    """Submits workflow runs to an instance; keep it open to launch many (the webhook server)."""

    def __init__(self, instance, target: CodeTarget | None = None):
        self.instance = instance
        self.target = target or CodeTarget()
        self._process_context = None

    def __enter__(self) -> "WorkflowLauncher":
        from dagster._core.workspace.context import WorkspaceProcessContext

        self._process_context = WorkspaceProcessContext(self.instance, _load_target(self.instance, self.target))
        self._process_context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._process_context is not None:
            self._process_context.__exit__(*exc)
            self._process_context = None

    def launch(self, spec: WorkflowSpec, payload: dict, tags: dict[str, str], priority: int | None = None):
        """Create and submit one run of ``spec`` with ``payload`` as input; the ``DagsterRun``."""
        from dagster._cli.job import _create_run

        workspace = self._process_context.create_request_context()
        location = workspace.get_code_location_entries().get(LOCATION_NAME)
        if location is None or location.code_location is None:
            error = location.load_error.message.strip().splitlines()[-1] if location and location.load_error else "not found"
            raise JoblensError(f"code location {LOCATION_NAME!r} did not load: {error}")
        code_location = location.code_location
        for repo in code_location.get_repositories().values():
            if repo.has_job(spec.job_name):
                break
        else:
            raise JoblensError(f"job {spec.job_name} is not in code location {LOCATION_NAME!r}; fix its workflow file")
        run = _create_run(
            instance=self.instance, code_location=code_location, remote_repo=repo,
            remote_job=repo.get_full_job(spec.job_name), run_config=run_config(spec, payload),
            tags={**job_tags(spec, priority), **tags}, op_selection=None, run_id=None,
        )
        return self.instance.submit_run(run.run_id, workspace)
