"""CLI: ``joblens top``, the live terminal view of active jobs."""

from __future__ import annotations

import json
import select
import sys
from contextlib import contextmanager

import typer

from pipelines.cli.app import app
from pipelines.cli.output import FORMAT_OPTION, Format, emit

KEYS_HELP = "↑/↓ or j/k select · c cancel selected run · q quit"


@app.command()
def top(
    once: bool = typer.Option(False, "--once", help="Print one snapshot and exit (for scripts)."),
    interval: float = typer.Option(3.0, "--interval", min=0.5, help="Seconds between refreshes."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Live view of queued and running jobs: step, progress, ETA, CPU, memory, tokens; cancel with a key."""
    from pipelines.home import resolve_home
    from pipelines.instance import open_instance
    from pipelines.monitor import take_snapshot

    home = resolve_home().ensure()
    instance = open_instance(home)
    if once or not sys.stdin.isatty():
        snapshot = take_snapshot(home, instance)
        if fmt is Format.json:
            typer.echo(json.dumps(snapshot.to_dict(), indent=1, default=str))
        else:
            emit(_COLUMNS, [_row(run) for run in snapshot.active], fmt, title=_title(snapshot))
        return
    _live(home, instance, interval)


_COLUMNS = ["run_id", "job", "type", "prio", "status", "step", "activity", "progress", "elapsed", "eta", "cpu%", "rss_mb", "tokens"]


def _row(run) -> tuple:
    progress = f"{run.progress:.0%}" if run.progress is not None else ""
    elapsed = f"{run.elapsed_s:.0f}s" if run.elapsed_s is not None else ""
    cpu = f"{run.cpu_percent:.0f}" if run.cpu_percent is not None else ""
    rss = f"{run.rss_mb:.0f}" if run.rss_mb is not None else ""
    eta = (run.eta or "")[11:19]
    return (run.run_id[:8], run.job_name, run.job_type, run.priority, run.status.lower(), run.current_step or "",
            run.activity or "", progress, elapsed, eta, cpu, rss, run.input_tokens + run.output_tokens)


def _title(snapshot) -> str:
    queue = f"queue PAUSED by {snapshot.queue_paused_by}" if snapshot.queue_paused else "queue running"
    return f"JobLens — {len(snapshot.active)} active runs — {queue} — {snapshot.taken_at}"


def _render(snapshot, selected: int, notice: str):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=_title(snapshot), expand=True)
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    for index, run in enumerate(snapshot.active):
        table.add_row(*[str(v) for v in _row(run)], style="reverse" if index == selected else None)
    failures = Table(title="Last failures", expand=True)
    for column in ("run_id", "job", "type", "ended_at"):
        failures.add_column(column)
    for failure in snapshot.last_failures:
        failures.add_row(failure["run_id"][:8], failure["job_name"], failure["job_type"], failure["ended_at"] or "")
    return Group(table, failures, Text(notice or KEYS_HELP, style="dim"))


def _live(home, instance, interval: float) -> None:
    from rich.live import Live

    from pipelines.jobs.control import cancel_run, current_actor
    from pipelines.monitor import take_snapshot

    selected, notice = 0, ""
    with _cbreak(), Live(auto_refresh=False, screen=True) as live:
        while True:
            snapshot = take_snapshot(home, instance)
            selected = min(selected, max(len(snapshot.active) - 1, 0))
            live.update(_render(snapshot, selected, notice), refresh=True)
            key = _read_key(interval)
            if key in ("q", "\x03"):
                return
            if key in ("j", "\x1b[B"):
                selected += 1
            elif key in ("k", "\x1b[A"):
                selected = max(selected - 1, 0)
            elif key == "c" and snapshot.active:
                run = snapshot.active[selected]
                try:
                    status = cancel_run(instance, home.lake, run.run_id, current_actor())
                    notice = f"run {run.run_id[:8]} ({run.job_name}): {status}"
                except Exception as exc:  # noqa: BLE001 - shown on screen, the view keeps running
                    notice = f"cancel failed: {exc}"


def _read_key(timeout: float) -> str | None:
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return None
    key = sys.stdin.read(1)
    if key == "\x1b":  # arrow keys arrive as an escape sequence
        key += sys.stdin.read(2)
    return key


@contextmanager
def _cbreak():
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
