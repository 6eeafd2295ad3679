"""CLI: the lake (capture, compaction) and the Dagster UI."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from pipelines.cli.app import app
from pipelines.cli.output import FORMAT_OPTION, Format, emit
from pipelines.home import resolve_home


@app.command()
def compact(
    table: list[str] = typer.Option(None, "--table", "-t", help="Only these tables (repeatable)."),
    target_file_mb: int = typer.Option(256, min=1, help="Target size of a compacted file."),
    row_group_rows: int = typer.Option(1_000_000, min=1000, help="Rows per Parquet row group."),
    retire_grace_s: float = typer.Option(
        600.0, min=0, help="Seconds replaced and merged files stay on disk for queries already planned."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Merge landing files into one compacted file per table and day; quarantine bad files."""
    from pipelines.lake.compaction import compact as run_compaction

    home = resolve_home().ensure()
    report = run_compaction(home.lake, tuple(table or ()) or None, target_file_mb, row_group_rows, retire_grace_s)
    emit(
        ["days_compacted", "landing_files_merged", "rows_written", "files_written", "quarantined", "garbage_removed"],
        [(report.days_compacted, report.landing_files_merged, report.rows_written, report.files_written,
          len(report.quarantined), report.garbage_removed)],
        fmt,
    )
    for path, reason in report.quarantined:
        typer.echo(f"quarantined {path}: {reason}", err=True)
    for path, reason in report.damaged:
        typer.echo(f"damaged compacted file {path}: {reason}; its day was left as it is", err=True)


LOG_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


@app.command("capture")
def capture_command(
    min_level: str = typer.Option("info", help="Lowest level of Dagster log messages kept: debug, info, warning, error."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Copy new run, step, log and failure events from the Dagster event log into the lake (one pass)."""
    from pipelines.errors import JoblensError
    from pipelines.instance import open_instance
    from pipelines.telemetry.capture import capture

    if min_level.lower() not in LOG_LEVELS:
        raise JoblensError(f"--min-level {min_level!r}: expected one of {', '.join(LOG_LEVELS)}")
    home = resolve_home().ensure()
    instance = open_instance(home)
    try:
        report = capture(instance, home, min_log_level=LOG_LEVELS[min_level.lower()])
    finally:
        instance.dispose()
    row = report.as_row()
    emit(list(row), [tuple(row.values())], fmt)


@app.command()
def ui(
    host: str = typer.Option("127.0.0.1", help="Interface the webserver listens on."),
    port: int = typer.Option(3000, help="Port of the webserver."),
) -> None:
    """Open the Dagster UI (webserver + daemon) on JobLens's code location and instance."""
    from pipelines.instance import ensure_workspace, open_instance

    home = resolve_home().ensure()
    open_instance(home).dispose()  # storage created here, under JobLens's lock, not by the UI's processes
    workspace = ensure_workspace(home)  # beside dagster.yaml, in DAGSTER_HOME
    env = dict(os.environ, DAGSTER_HOME=str(workspace.parent), JOBLENS_HOME=str(home.root))
    cmd = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-h", host, "-p", str(port)]
    typer.echo(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    raise typer.Exit(subprocess.call(cmd, env=env))
