"""CLI: ``joblens demo`` — history, real runs of every job kind, models, reports and alerts."""

from __future__ import annotations

import json

import typer

from pipelines.cli.app import app
from pipelines.cli.output import FORMAT_OPTION, Format, emit
from pipelines.demo import defaults


@app.command()
def demo(
    fresh: bool = typer.Option(False, "--fresh", help="Start from an empty home: lake, warehouse, reports, alerts, Dagster history."),
    days: int = typer.Option(defaults.DAYS, "--days", min=1, help="Days of simulated history (simulated once per home)."),
    runs_per_day: int = typer.Option(defaults.RUNS_PER_DAY, "--runs-per-day", min=1, help="Simulated runs per day on average."),
    seed: int = typer.Option(defaults.SEED, "--seed", help="Seed of the simulated history: same seed, same rows."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Simulate history, run every kind of job through Dagster, then build the models, reports and alerts on it.

    Safe to run again: the history is kept, new real runs are added and everything
    downstream is brought up to date. Progress goes to stderr.
    """
    from pipelines.demo import run_demo
    from pipelines.home import resolve_home

    summary = run_demo(resolve_home(), days=days, runs_per_day=runs_per_day, seed=seed, fresh=fresh,
                       progress=fmt is Format.table)
    if fmt is Format.json:
        typer.echo(json.dumps(summary.to_dict(), indent=1, default=str))
    elif fmt is Format.csv:
        runs = summary.real_runs
        emit(["run_id", "job_name", "job_type", "role", "status"], [[r[c] for c in
             ("run_id", "job_name", "job_type", "role", "status")] for r in runs], fmt)
    else:
        from pipelines.demo.view import print_summary

        print_summary(summary)
