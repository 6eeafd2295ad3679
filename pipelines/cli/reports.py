"""CLI: ``joblens report`` and ``joblens dashboard``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from pipelines.cli.app import app
from pipelines.errors import JoblensError

DAGSTER_URL_OPTION = typer.Option(
    "http://127.0.0.1:3000", "--dagster-url", envvar="JOBLENS_UI_URL", help="Base URL of the Dagster UI that run links point to."
)


@contextmanager
def _as_joblens_error() -> Iterator[None]:
    from reports.errors import ReportError

    try:
        yield
    except ReportError as exc:
        raise JoblensError(str(exc)) from None


def _print_paths(paths: dict[str, Path]) -> None:
    for fmt, path in paths.items():
        typer.echo(f"{fmt}: {path}")


@app.command("report")
def report(
    kind: str = typer.Option("summary", "--kind", "-k", help="summary, reliability, performance or cost."),
    period: str = typer.Option("daily", "--period", "-p", help="daily, weekly or monthly: the last complete one."),
    since: Optional[str] = typer.Option(None, "--since", help="First day (YYYY-MM-DD or e.g. 7d); overrides --period."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day, inclusive (YYYY-MM-DD)."),
    team: Optional[str] = typer.Option(None, "--team", help="Only the jobs this team owns."),
    formats: str = typer.Option("html,pdf", "--format", "-f", help="html, pdf or both (comma-separated)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder to write to (default JOBLENS_HOME/reports)."),
    dagster_url: str = DAGSTER_URL_OPTION,
    deliver_to: Optional[List[str]] = typer.Option(None, "--deliver", help="Also send the files to channels with this tag."),
) -> None:
    """Render a report over the warehouse to HTML and/or PDF and print the file paths."""
    from pipelines.home import resolve_home
    from reports import deliver, generate_report, resolve_period
    from reports.publish import parse_formats

    home = resolve_home()
    with _as_joblens_error():
        chosen = resolve_period(period, since=since, until=until)
        rendered = generate_report(
            home.warehouse, out or home.reports, kind, chosen, parse_formats(formats), team, dagster_url=dagster_url
        )
        _print_paths(rendered.paths)
        if deliver_to:
            result = deliver(list(rendered.paths.values()), deliver_to, title=f"{rendered.report.title}: {chosen.label}")
            if not result.ok:
                raise JoblensError(f"report written but not delivered to {', '.join(deliver_to)}: {result.error}")
            typer.echo(f"delivered to: {', '.join(deliver_to)}")


@app.command("dashboard")
def dashboard(
    name: str = typer.Argument(..., help="Dashboard name (a file in JOBLENS_HOME/dashboards or reports/dashboards) or a YAML path."),
    param: Optional[List[str]] = typer.Option(None, "--param", help="Override a parameter: NAME=VALUE (repeatable)."),
    formats: str = typer.Option("html,pdf", "--format", "-f", help="html, pdf or both (comma-separated)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder to write to (default JOBLENS_HOME/reports)."),
    dagster_url: str = DAGSTER_URL_OPTION,
) -> None:
    """Render a custom dashboard (YAML: SQL sections over the warehouse) to HTML and/or PDF."""
    from importlib import resources

    from pipelines.home import resolve_home
    from reports import generate_dashboard
    from reports.dashboards import find_dashboard
    from reports.publish import parse_formats

    home = resolve_home()
    overrides = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise JoblensError(f"--param {item!r} is not NAME=VALUE")
        overrides[key.strip()] = value
    with _as_joblens_error():
        shipped = Path(str(resources.files("reports").joinpath("dashboards")))
        path = find_dashboard(name, [home.root / "dashboards", shipped])
        rendered = generate_dashboard(
            home.warehouse, out or home.reports, path, overrides, parse_formats(formats), dagster_url=dagster_url
        )
        _print_paths(rendered.paths)
