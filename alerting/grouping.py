"""Alerts of one rule and route go out together, Alertmanager style.

A group's first notification waits ``group_wait`` so alerts firing together land in one message;
later changes (a new alert, a resolved one, a severity change) wait ``group_interval`` after the
previous message; an unchanged group is re-sent after ``repeat_interval``. Muted alerts are left
out; an alert muted after it was announced is carried quietly, with no recovery message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from alerting.alerts import FIRING, Alert
from alerting.ledger import enqueue
from alerting.messages import group_message
from alerting.rules import Rule


@dataclass(frozen=True)
class Planned:
    rule: str
    route: str
    title: str
    firing: tuple[str, ...]
    resolved: int


def plan_rule(con, rule: Rule, alerts: list[Alert], now: datetime) -> list[Planned]:
    """Queue this evaluation's grouped notifications of one rule; escalation routes after the primary ones."""
    planned = []
    for route in rule.routes:
        planned += _plan_group(con, rule, route, alerts, now, escalated_only=False)
    notified = {key for p in planned for key in p.firing}
    for alert in alerts:
        if alert.key in notified:
            alert.notify_count += 1
    if rule.escalation:
        for alert in alerts:
            if alert.state == FIRING and not alert.suppressed_by and not alert.escalated and _escalates(rule, alert, now):
                alert.escalated = True
        for route in rule.escalation.routes:
            if route not in rule.routes:
                planned += _plan_group(con, rule, route, alerts, now, escalated_only=True)
    return planned


def _escalates(rule: Rule, alert: Alert, now: datetime) -> bool:
    esc = rule.escalation
    repeats = max(alert.notify_count - 1, 0)
    by_repeats = esc.after_repeats is not None and repeats >= esc.after_repeats
    by_time = esc.after is not None and alert.fired_at is not None and now - alert.fired_at >= esc.after
    return by_repeats or by_time


def _plan_group(con, rule: Rule, route: str, alerts: list[Alert], now: datetime, escalated_only: bool) -> list[Planned]:
    row = con.execute(
        "select first_pending_at, last_sent_at, members from alert_groups where rule = ? and route = ?", [rule.name, route]
    ).fetchone()
    first_pending_at, last_sent_at, members = (row[0], row[1], json.loads(row[2] or "{}")) if row else (None, None, {})
    by_key = {a.key: a for a in alerts}
    firing = {
        a.key: a for a in alerts
        if a.state == FIRING and not a.suppressed_by and (a.escalated or not escalated_only)
    }
    carried = {k: s for k, s in members.items() if k in by_key and by_key[k].state == FIRING and by_key[k].suppressed_by}
    resolved = [by_key[k] for k in members if k not in firing and k not in carried and k in by_key and not by_key[k].suppressed_by]
    changed = bool(resolved) or any(members.get(k) != a.severity for k, a in firing.items())
    if not firing and not resolved:
        _save_group(con, rule.name, route, None, last_sent_at, carried)
        return []
    if changed:
        if not members:
            first_pending_at = first_pending_at or now
            due = now - first_pending_at >= rule.group_wait
        else:
            due = last_sent_at is None or now - last_sent_at >= rule.group_interval
    else:
        due = last_sent_at is not None and now - last_sent_at >= rule.repeat_interval
    if not due:
        _save_group(con, rule.name, route, first_pending_at, last_sent_at, members)
        return []
    message = group_message(rule, list(firing.values()), resolved, now, escalated=escalated_only)
    keys = [{"labels": a.labels, "state": a.state, "severity": a.severity} for a in [*firing.values(), *resolved]]
    enqueue(con, f"group|{rule.name}|{route}|{now.isoformat()}", route, "alert", message, now, rule.name, keys)
    _save_group(con, rule.name, route, None, now, {**carried, **{k: a.severity for k, a in firing.items()}}, sent=True)
    return [Planned(rule.name, route, message.title, tuple(firing), len(resolved))]


def _save_group(con, rule: str, route: str, first_pending_at, last_sent_at, members: dict, sent: bool = False) -> None:
    con.execute(
        """insert into alert_groups (rule, route, first_pending_at, last_sent_at, members, sends) values (?, ?, ?, ?, ?, ?)
           on conflict (rule, route) do update set first_pending_at = excluded.first_pending_at,
               last_sent_at = excluded.last_sent_at, members = excluded.members, sends = alert_groups.sends + excluded.sends""",
        [rule, route, first_pending_at, last_sent_at, json.dumps(members), 1 if sent else 0],
    )
