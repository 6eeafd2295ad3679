"""CLI: alert rules, silences and channels (``joblens alerts check|list|silence|unsilence|test``)."""

from __future__ import annotations

import getpass
import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import List, Optional

import typer

from pipelines.cli.app import alerts_app
from pipelines.cli.output import FORMAT_OPTION, Format, emit
from pipelines.errors import JoblensError


@contextmanager
def _as_joblens_errors():
    from alerting.errors import AlertingError

    try:
        yield
    except AlertingError as exc:
        raise JoblensError(str(exc)) from None


def _now(text: Optional[str]) -> datetime:
    if not text:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise JoblensError(f"--now: {text!r} is not an ISO time like 2026-03-10T12:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _home_root():
    from pipelines.home import resolve_home

    return resolve_home().ensure().root


@alerts_app.command("check")
def check_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Evaluate and show what would be sent; change and send nothing."),
    now: Optional[str] = typer.Option(None, "--now", help="Evaluate as of this UTC time (ISO 8601) instead of now."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Evaluate every alert rule now and send the notifications that are due."""
    from alerting.alerts import describe_labels
    from alerting.engine import check

    with _as_joblens_errors():
        report = check(_home_root(), now=_now(now), dry_run=dry_run)
    rows = [(a.rule, describe_labels(a.labels), a.state, a.severity, a.value, a.suppressed_by or "") for a in report.alerts]
    emit(["rule", "labels", "state", "severity", "value", "muted_by"], rows, fmt, title="Alerts")
    if fmt is Format.table:  # csv and json carry one table: the alerts
        title = "Notifications that would be sent" if dry_run else "Notifications queued"
        emit(["route", "notification"], [(p.route, p.title) for p in report.planned], fmt, title=title)
        if report.delivery:
            d = report.delivery
            typer.echo(f"delivered {d.sent}, failed {d.failed}, still pending {d.waiting}")
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)
    if report.errors:
        raise typer.Exit(1)


@alerts_app.command("list")
def list_command(
    silences_only: bool = typer.Option(False, "--silences", help="Only the active silences."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Firing, pending and silenced alerts, and the active silences (csv/json: the alerts, or --silences)."""
    from alerting.alerts import describe_labels
    from alerting.state import load_alerts
    from alerting.store import open_store
    from alerting.suppression import active_silences

    now = datetime.now(timezone.utc)
    with open_store(_home_root()) as con:
        alerts = [a for a in load_alerts(con).values() if a.state in ("pending", "firing")]
        silences = active_silences(con, now)
    rows = [
        (a.rule, describe_labels(a.labels), a.state, a.severity, a.value, a.fired_at, a.suppressed_by or "", a.flapping)
        for a in sorted(alerts, key=lambda a: (a.rule, a.key))
    ]
    if not silences_only:
        emit(["rule", "labels", "state", "severity", "value", "firing_since", "muted_by", "flapping"], rows, fmt, title="Alerts")
        if fmt is not Format.table:
            return
    emit(
        ["silence", "rule", "labels", "until", "comment", "by"],
        [(s.id, s.rule, json.dumps(s.matchers), s.ends_at, s.comment, s.created_by) for s in silences],
        fmt,
        title="Active silences",
    )


@alerts_app.command("silence")
def silence_command(
    rule: str = typer.Option(..., "--rule", help="Rule name (run_failure for per-run failure messages, * for all)."),
    label: List[str] = typer.Option([], "--label", help="Only alerts with this label value, name=value; repeatable."),
    duration: str = typer.Option(..., "--for", help="How long, e.g. 30m, 2h, 1d."),
    comment: str = typer.Option(..., "--comment", help="Why; shown in joblens alerts list."),
    by: Optional[str] = typer.Option(None, "--by", help="Who silences (default: the current user)."),
) -> None:
    """Mute the alerts of a rule (optionally only some labels) until the silence expires."""
    from alerting.durations import parse_duration
    from alerting.rules import load_rules, rule_files
    from alerting.store import open_store
    from alerting.suppression import RUN_FAILURE, add_silence, parse_matchers

    root = _home_root()
    known = {r.name for r in load_rules(rule_files(root)).rules} | {RUN_FAILURE, "*"}
    if rule not in known:
        raise JoblensError(f"--rule: no rule named {rule!r} (known: {', '.join(sorted(known))})")
    with _as_joblens_errors():
        matchers = parse_matchers(label)
        length = parse_duration(duration, "--for")
        with open_store(root) as con:
            silence = add_silence(con, rule, matchers, length, comment, by or getpass.getuser(), datetime.now(timezone.utc))
    typer.echo(f"silence {silence.id}: {rule} {json.dumps(matchers)} until {silence.ends_at:%Y-%m-%d %H:%M} UTC")


@alerts_app.command("unsilence")
def unsilence_command(silence_id: str = typer.Argument(..., help="The silence id shown by joblens alerts list.")) -> None:
    """End a silence now."""
    from alerting.store import open_store
    from alerting.suppression import expire_silence

    with _as_joblens_errors(), open_store(_home_root()) as con:
        expire_silence(con, silence_id, datetime.now(timezone.utc))
    typer.echo(f"silence {silence_id} ended")


@alerts_app.command("test")
def test_command(channel_tag: str = typer.Argument(..., help="An Apprise tag of the channel config, e.g. ops.")) -> None:
    """Send a test message to every channel with this tag."""
    from alerting.messages import test_message
    from alerting.transport import Channels

    with _as_joblens_errors():
        channels = Channels()
        message = test_message(channel_tag, datetime.now(timezone.utc))
        delivery = channels.send(channel_tag, message.title, message.body, message.notify_type)
    if not delivery.ok:
        raise JoblensError(f"channel '{channel_tag}': delivery failed: {delivery.error}")
    typer.echo(f"sent a test message to '{channel_tag}' ({channels.path})")
