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
