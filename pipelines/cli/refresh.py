"""CLI: ``joblens refresh``, the warehouse models brought up to date through Dagster."""

from __future__ import annotations

import typer

from pipelines.cli.app import app
from pipelines.cli.output import FORMAT_OPTION, Format, emit


@app.command("refresh")
def refresh_command(
    full: bool = typer.Option(False, "--full", help="Rebuild every model from the whole lake."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Bring the warehouse models up to date with the lake (only changed days unless --full)."""
    from pipelines.home import resolve_home
    from pipelines.models.materialize import materialize_models

    home = resolve_home().ensure()
    rows = materialize_models(home, full=full)
    columns = ["model", "mode", "action", "rows", "rows_written", "checks"]
    emit(columns, [[r[c] for c in columns] for r in rows], fmt)
    failed = [r["model"] for r in rows if r["checks"].startswith("failed")]
    if failed:
        typer.echo(f"audits failed on: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
