"""CLI: ad-hoc SQL, model refresh, history simulation, export, job history."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from pipelines.cli.app import app, jobs_app
from pipelines.cli.output import FORMAT_OPTION, Format, emit, emit_relation
from pipelines.errors import JoblensError
from pipelines.home import resolve_home


# --- joblens simulate -------------------------------------------------------------------

@app.command("simulate")
def simulate_command(
    days: int = typer.Option(30, "--days", min=1, help="Days of history to generate."),
    runs_per_day: int = typer.Option(200, "--runs-per-day", min=1, help="Runs started per day on average (retries come on top)."),
    seed: int = typer.Option(0, "--seed", help="Same seed (and end date) → the same rows, ids included."),
    end_date: Optional[str] = typer.Option(None, "--end-date", help="Last day of the history, YYYY-MM-DD (default: up to the current hour)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Write realistic synthetic job history into the lake (for demos and benchmarks)."""
    from pipelines.models.simulator import simulate

    last_day = None
    if end_date is not None:
        try:
            last_day = date.fromisoformat(end_date)
        except ValueError:
            raise JoblensError(f"--end-date: {end_date!r} is not a date like 2026-03-10") from None
    home = resolve_home().ensure()
    report = simulate(home.lake, days, runs_per_day, seed, last_day)
    rows = [(table, count) for table, count in sorted(report.rows.items())]
    emit(["table", "rows"], rows, fmt, title=f"{report.runs} runs {report.start:%Y-%m-%d} → {report.end:%Y-%m-%d %H:%M} UTC")
    if fmt is Format.table:
        typer.echo(f"{report.files} files in {report.seconds:.1f}s; slow step: {'.'.join(report.regressed_step)}; "
                   f"new error signature: {report.new_error_signature}")


# --- joblens sql ------------------------------------------------------------------------

@app.command("sql")
def sql_command(
    query: Optional[str] = typer.Argument(None, help="SQL to run; omit it (and --file) for an interactive prompt."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Read the SQL from this file."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Run SQL on the warehouse (read-only) with a view per lake table; no query opens a prompt."""
    from pipelines.cli.history import open_history

    if query is not None and file is not None:
        raise JoblensError("give a query or --file, not both")
    if file is not None:
        try:
            query = file.read_text()
        except OSError as exc:
            raise JoblensError(f"--file: cannot read {file}: {exc.strerror}") from None
    with open_history(resolve_home()) as con:
        if query is None:
            _prompt(con, fmt)
        else:
            _run_sql(con, query, fmt)


def _run_sql(con, query: str, fmt: Format) -> None:
    import duckdb

    from pipelines.cli.history import one_line

    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return
        emit_relation(cursor, fmt)
    except duckdb.Error as exc:
        raise JoblensError(one_line(exc)) from None


def _prompt(con, fmt: Format) -> None:
    """Read statements ending in ``;`` until ``.quit`` or end of input; errors do not end the session."""
    typer.echo("JobLens SQL: the warehouse and the lake views (runs, steps, logs, …). End statements with ';', .quit to leave.",
               err=True)
    lines: list[str] = []
    while True:
        try:
            line = input("joblens> " if not lines else "    ...> ")
        except EOFError:
            break
        if not lines and line.strip() in (".quit", ".exit"):
            break
        lines.append(line)
        if line.rstrip().endswith(";"):
            try:
                _run_sql(con, "\n".join(lines), fmt)
            except JoblensError as exc:
                typer.echo(f"error: {exc}", err=True)
            lines = []


# --- joblens jobs list / show -----------------------------------------------------------

@jobs_app.command("list")
def jobs_list_command(
    status: Optional[str] = typer.Option(None, "--status", help="queued, preparing, running, completed, failed or cancelled."),
    job_type: Optional[str] = typer.Option(None, "--type", help="workflow, knowledge, system or unknown."),
    since: Optional[str] = typer.Option(None, "--since", help="Queued at or after: a date, a time, or an age like 7d / 24h."),
    until: Optional[str] = typer.Option(None, "--until", help="Queued before: a date (inclusive), a time, or an age."),
    search: Optional[str] = typer.Option(None, "--search", help="Part of the job name or trigger source (webhook path, file…)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many runs, newest first."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List job runs, newest first: status, timing, retries, cost and error code."""
    from pipelines.cli.history import RUN_COLUMNS_NARROW_OMIT, list_runs, open_history, parse_moment
    from pipelines.lake.schema import JOB_TYPES, RUN_STATUSES

    if status is not None and status not in RUN_STATUSES:
        raise JoblensError(f"--status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
    if job_type is not None and job_type not in JOB_TYPES:
        raise JoblensError(f"--type: {job_type!r} is not one of {', '.join(JOB_TYPES)}")
    lower = parse_moment(since, "--since") if since else None
    upper = parse_moment(until, "--until", end_of_day=True) if until else None
    with open_history(resolve_home()) as con:
        emit_relation(list_runs(con, status, job_type, lower, upper, search, limit), fmt, omit=RUN_COLUMNS_NARROW_OMIT)


@jobs_app.command("show")
def jobs_show_command(
    run_id: str = typer.Argument(..., help="The run id (or a unique prefix of it)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Everything recorded about one run: timeline, steps, errors, logs, snapshots, model calls, resources."""
    from pipelines.cli import run_view
    from pipelines.cli.history import open_history, resolve_run, run_days, run_record
    from pipelines.lake import reader

    home = resolve_home()
    with open_history(home) as con:
        full_id = resolve_run(con, run_id)
        reader.connect(home.lake, con=con, days=run_days(con, full_id, home.lake))
        record = run_record(con, full_id)
    run_view.render(full_id, record, fmt)


# --- joblens export ---------------------------------------------------------------------

class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


@app.command("export")
def export_command(
    table: str = typer.Argument(..., help="A lake table (runs, steps, …) or a warehouse model (fct_runs, agg_job_daily, …)."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (replaced atomically)."),
    since: Optional[str] = typer.Option(None, "--since", help="Rows at or after: a date, a time, or an age like 7d."),
    until: Optional[str] = typer.Option(None, "--until", help="Rows before: a date (inclusive), a time, or an age."),
    fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format", "-F", help="csv, parquet, or json (one object per line)."),
) -> None:
    """Export a lake table or a model, optionally limited in time, to CSV, Parquet or JSON lines."""
    from pipelines.cli.export import export_table
    from pipelines.cli.history import parse_moment

    lower = parse_moment(since, "--since") if since else None
    upper = parse_moment(until, "--until", end_of_day=True) if until else None
    rows = export_table(resolve_home(), table, out, fmt.value, lower, upper)
    typer.echo(f"exported {rows} rows of {table} to {out}", err=True)
