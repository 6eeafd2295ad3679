"""The root ``joblens`` command and its groups; each area registers its commands in its own module.

Commands import their heavy dependencies (dagster, duckdb, altair) inside the function,
so ``joblens --help`` and light commands start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from pipelines.errors import JoblensError

app = typer.Typer(
    name="joblens",
    help="JobLens: the record, analytics, reports and alerts of every job run on Dagster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
jobs_app = typer.Typer(help="Job runs: history, one run's full record, and run control.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert rules: evaluate, list, silence, test channels.", no_args_is_help=True)
webhook_app = typer.Typer(help="The webhook trigger for workflows.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(alerts_app, name="alerts")
app.add_typer(webhook_app, name="webhook")

# Each module adds its commands to the objects above when imported.
COMMAND_MODULES = (
    "pipelines.cli.lake",
    "pipelines.cli.models",
    "pipelines.cli.refresh",
    "pipelines.cli.control",
    "pipelines.cli.reports",
    "pipelines.cli.alerts",
    "pipelines.cli.demo",
    "pipelines.cli.top",
)


@app.callback()
def root(
    home: Optional[Path] = typer.Option(
        None, "--home", envvar="JOBLENS_HOME", help="JobLens home folder (default ./data/home).", show_default=False
    ),
) -> None:
    if home is not None:
        # Child processes (the Dagster daemon, webserver and run workers) inherit it.
        os.environ["JOBLENS_HOME"] = str(home)


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors as Typer prints them (exit 2), a JobLens error as one line (exit 1)."""
    _register()
    try:
        app(args=argv, prog_name="joblens")
    except JoblensError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
