"""CLI: running workflows, the webhook trigger, run control, retention and backup."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pipelines.cli.app import app, webhook_app

# workflows


@app.command("run")
def run_workflow_command(
    workflow: str = typer.Argument(..., help="Workflow name (data/workflows/<name>.yaml), with or without 'workflow__'."),
    input_file: Path = typer.Option(..., "--input", "-i", help="JSON file with the run's payload."),
    priority: Optional[int] = typer.Option(None, "--priority", "-p", help="Run priority (dagster/priority), -100..100."),
    wait: bool = typer.Option(False, "--wait", help="Run here, in this process, and wait for the result."),
) -> None:
    """Launch a workflow run with a payload: queued on the instance, or run here with --wait."""
    from pipelines.jobs.workflows.runner import run_workflow

    outcome = run_workflow(workflow, input_file, priority=priority, wait=wait)
    typer.echo(f"{outcome.run_id} {outcome.job_name} {outcome.status}")
    if outcome.message:
        typer.echo(f"error: {outcome.message}", err=True)
    if outcome.status == "failure":
        raise typer.Exit(1)


@webhook_app.command("serve")
def webhook_serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8790, "--port", help="Port to listen on."),
) -> None:
    """Serve POST /workflows/<name>: validate the JSON payload, launch a run, answer 202 with its id."""
    from pipelines.jobs.workflows.runner import serve_webhook

    def ready(server, errors: list[str]) -> None:
        for error in errors:
            typer.echo(f"warning: {error}", err=True)
        address, bound_port = server.server_address[:2]
        typer.echo(f"webhook listening on http://{address}:{bound_port}/workflows/<name>")

    serve_webhook(host, port, ready=ready)


# run control and system

from pipelines.cli.app import jobs_app  # noqa: E402 - this part of the file registers its own group
from pipelines.cli.output import FORMAT_OPTION, Format, emit  # noqa: E402


def _control_context():
    from pipelines.home import resolve_home
    from pipelines.instance import open_instance
    from pipelines.jobs.control import current_actor

    home = resolve_home().ensure()
    return open_instance(home), home.lake, current_actor()


@jobs_app.command("cancel")
def jobs_cancel_command(
    run_id: str = typer.Argument(..., help="Run to cancel (queued or running)."),
    force: bool = typer.Option(False, "--force", help="Mark it cancelled even if its run worker cannot be reached."),
) -> None:
    """Cancel a queued or running run; recorded in the lake with who and when."""
    from pipelines.jobs.control import cancel_run

    instance, lake, actor = _control_context()
    typer.echo(f"{run_id} {cancel_run(instance, lake, run_id, actor, force=force)}")


@jobs_app.command("retry")
def jobs_retry_command(run_id: str = typer.Argument(..., help="Failed or cancelled run to re-execute.")) -> None:
    """Re-execute a failed or cancelled run from its failure (finished steps are not run again)."""
    from pipelines.jobs.control import retry_run

    instance, lake, actor = _control_context()
    typer.echo(retry_run(instance, lake, run_id, actor))


@jobs_app.command("pause")
def jobs_pause_command(reason: str = typer.Option("", "--reason", help="Why, for the record.")) -> None:
    """Hold every queued run (and new submissions) until `joblens jobs resume`."""
    from pipelines.jobs.control import pause_queue

    instance, lake, actor = _control_context()
    state = pause_queue(instance, lake, actor, reason)
    typer.echo(f"run queue paused by {actor}; {state['queued_runs']} runs held")


@jobs_app.command("resume")
def jobs_resume_command() -> None:
    """Release the run queue: held runs launch again, highest priority first."""
    from pipelines.jobs.control import resume_queue

    instance, lake, actor = _control_context()
    state = resume_queue(instance, lake, actor)
    typer.echo(f"run queue resumed by {actor}; {state['queued_runs']} runs released")


@jobs_app.command("reprioritize")
def jobs_reprioritize_command(
    run_id: str = typer.Argument(..., help="A run that is still queued."),
    priority: int = typer.Argument(..., help="New dagster/priority (higher launches first)."),
) -> None:
    """Change a queued run's priority: re-queued with the new tag, the old run cancelled; prints the new run id."""
    from pipelines.jobs.control import reprioritize

    instance, lake, actor = _control_context()
    typer.echo(reprioritize(instance, lake, run_id, priority, actor))


@app.command("retention")
def retention_command(
    keep: list[str] = typer.Option(None, "--keep", help="TABLE=DAYS over the defaults (repeatable), e.g. logs=14."),
    dagster: bool = typer.Option(True, "--dagster/--no-dagster", help="Also purge old Dagster runs and event logs."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Delete lake partitions past each table's retention (important runs archived first) and old Dagster runs."""
    from pipelines.errors import JoblensError
    from pipelines.jobs.system.retention import (
        apply_lake_retention, important_run_ids, purge_dagster_history, retention_days,
    )

    overrides = {}
    for item in keep or []:
        table, _, days = item.partition("=")
        if not days.strip().isdigit():
            raise JoblensError(f"--keep {item!r}: expected TABLE=DAYS, e.g. logs=14")
        overrides[table.strip()] = int(days)
    policy = retention_days(overrides)
    instance, lake, _ = _control_context()
    tagged = {r.run_id for r in instance.get_runs(_important_filter())}
    report = apply_lake_retention(lake, policy, important_run_ids(lake, tagged))
    if dagster:
        purge_dagster_history(instance, policy["runs"], report=report)
    rows = [(t, policy[t], len(report.days_deleted.get(t, [])), report.rows_deleted.get(t, 0),
             report.rows_archived.get(t, 0)) for t in policy]
    emit(["table", "keep_days", "days_deleted", "rows_deleted", "rows_archived"], rows, fmt)
    if dagster:
        typer.echo(f"dagster runs deleted: {report.dagster_runs_deleted} "
                   f"(important kept: {report.dagster_runs_kept_important})", err=True)


def _important_filter():
    import dagster as dg

    from pipelines.jobs.system.retention import IMPORTANT_TAG

    return dg.RunsFilter(tags={IMPORTANT_TAG: "true"})


@app.command("backup")
def backup_command(
    keep: int = typer.Option(0, "--keep", min=0, help="Keep only the newest N backups (0 = keep all)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Back up warehouse, lake and knowledge base to JOBLENS_HOME/backups/<UTC stamp> with a checksum manifest."""
    from pipelines.home import resolve_home
    from pipelines.jobs.system.backup import backup

    report = backup(resolve_home().ensure(), keep=keep or None)
    emit(["path", "files", "bytes"], [(str(report.path), report.files, report.bytes)], fmt)


@app.command("restore")
def restore_command(backup_dir: Path = typer.Argument(..., help="A folder made by `joblens backup`.")) -> None:
    """Verify a backup's checksums, then restore it; the current state is moved aside, not overwritten."""
    from pipelines.home import resolve_home
    from pipelines.jobs.system.backup import restore

    aside = restore(backup_dir, resolve_home().ensure())
    typer.echo(f"restored {backup_dir}; previous state kept in {aside}")
