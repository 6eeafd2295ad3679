"""The demo's summary as a new user reads it in the terminal."""

from __future__ import annotations

from pathlib import Path

from pipelines.demo.summary import DemoSummary

MARKS = {"completed": "[green]✓[/]", "failed": "[red]✗[/]", "cancelled": "[yellow]■[/]"}
STATUS_ORDER = ("completed", "failed", "cancelled", "running", "preparing", "queued")


def print_summary(summary: DemoSummary, console=None) -> None:
    from rich.console import Console

    console = console or Console(soft_wrap=True)  # long paths and commands stay copyable
    minutes, seconds = divmod(round(summary.seconds), 60)
    console.print(f"\n[bold]JobLens demo done[/] in {minutes}m {seconds:02d}s — home [cyan]{summary.home}[/]\n")
    _history(console, summary)
    _real_runs(console, summary)
    console.print(_runs_table(summary))
    _headline(console, summary)
    _files(console, summary)
    _alerts(console, summary)
    console.print("\n[bold]Next[/]")
    for command, what in summary.next_steps.items():
        console.print(f"  [cyan]{command}[/]\n      {what}", highlight=False)


def _history(console, summary: DemoSummary) -> None:
    h = summary.history
    how = "" if h.get("simulated_now") else "; kept from an earlier demo (--fresh starts over)"
    console.print(f"[bold]History[/]   {h.get('runs', 0):,} runs simulated over {h.get('days')} days, "
                  f"{h.get('start')} → {h.get('end')} (seed {h.get('seed')}){how}")


def _real_runs(console, summary: DemoSummary) -> None:
    console.print(f"[bold]Real runs[/] {len(summary.real_runs)} launched through Dagster and captured into the lake:")
    width = max((len(r["job_name"]) for r in summary.real_runs), default=0)
    for run in summary.real_runs:
        mark = MARKS.get(run["status"], "?")
        note = "" if run["status"] == run["expected"] else f" [red](expected {run['expected']})[/]"
        console.print(f"  {mark} {run['job_name']:<{width}}  {run['status']:<9}  {run['role']}{note}", highlight=False)


def _runs_table(summary: DemoSummary):
    from rich.table import Table

    counts = {(r["job_type"], r["status"]): r["runs"] for r in summary.runs_by_type_status}
    statuses = [s for s in STATUS_ORDER if any(k[1] == s for k in counts)]
    table = Table(title=f"Runs in the warehouse (fct_runs): {summary.runs_total:,}", title_justify="left")
    table.add_column("job type")
    for status in statuses:
        table.add_column(status, justify="right")
    for job_type in sorted({k[0] for k in counts}):
        table.add_row(job_type, *[f"{counts.get((job_type, s), 0):,}" for s in statuses])
    return table


def _headline(console, summary: DemoSummary) -> None:
    rate = "n/a" if summary.success_rate is None else f"{summary.success_rate:.1%}"
    console.print(f"[bold]Success rate[/] {rate}   [bold]Model cost[/] ${summary.cost_usd:,.2f}   "
                  f"[bold]Models[/] {summary.models_materialized} materialized, "
                  + (f"[red]checks failed: {', '.join(summary.failed_checks)}[/]" if summary.failed_checks
                     else "all checks passed"))
    top = summary.top_failure_pattern
    if top:
        console.print(f"[bold]Top failure pattern[/] {top['error_code']} ({top['error_class']}): "
                      f"{top['sample_message'][:80]!r} — {top['occurrences']:,} times in {top['runs_affected']:,} runs",
                      highlight=False)
        console.print(f"  what to do: {top['remediation']}", highlight=False)


def _files(console, summary: DemoSummary) -> None:
    home = Path(summary.home)
    console.print(f"\n[bold]Reports[/] ({summary.report_period}) and [bold]dashboards[/], in {home}:")
    for name, paths in [*summary.reports.items(), *summary.dashboards.items()]:
        shown = "  ".join(_relative(Path(p), home) for p in paths.values())
        console.print(f"  {name:<12} {shown}", highlight=False)


def _alerts(console, summary: DemoSummary) -> None:
    a = summary.alerts
    firing = a.get("firing", [])
    names = sorted({f["rule"] for f in firing})
    console.print(f"\n[bold]Alerts[/]    {a.get('evaluations', 0)} rule evaluations; {len(firing)} firing"
                  + (f" ({', '.join(names)})" if names else "")
                  + f"; {a.get('sent', 0)} messages sent"
                  + (f", {a['waiting']} left for the next evaluation (joblens alerts check)" if a.get("waiting") else ""))
    console.print(f"  what was sent: {_relative(Path(a.get('channel_file', '')), Path(summary.home))} "
                  "(the default channel; point JOBLENS_CHANNELS at Slack, e-mail, …)", highlight=False)
    for error in a.get("errors", []):
        console.print(f"  [red]error:[/] {error}", highlight=False)


def _relative(path: Path, home: Path) -> str:
    return str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
