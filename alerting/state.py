"""Reading and writing alerts, transitions and episodes in the alert store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from alerting.alerts import FIRING, RESOLVED, Alert, Transition

_COLUMNS = (
    "rule", "labels_key", "labels", "state", "severity", "value", "info", "breach_count", "ok_count", "since",
    "fired_at", "resolved_at", "last_evaluated_at", "notify_count", "escalated", "flapping", "suppressed_by", "episode",
)


def load_alerts(con, rule: str | None = None) -> dict[str, Alert]:
    """Stored alerts of one rule (or all), by labels key."""
    where, args = ("where rule = ?", [rule]) if rule else ("", [])
    rows = con.execute(f"select {', '.join(_COLUMNS)} from alert_state {where}", args).fetchall()
    alerts = {}
    for row in rows:
        record = dict(zip(_COLUMNS, row))
        record.pop("labels_key")
        record["labels"] = json.loads(record["labels"] or "{}")
        record["info"] = json.loads(record["info"] or "{}")
        alert = Alert(**record)
        alerts[alert.key if rule else f"{alert.rule}|{alert.key}"] = alert
    return alerts


def save_alert(con, alert: Alert) -> None:
    row = {column: getattr(alert, column, None) for column in _COLUMNS}
    row.update(labels_key=alert.key, labels=json.dumps(alert.labels), info=json.dumps(alert.info, default=str))
    con.execute(
        f"insert or replace into alert_state ({', '.join(_COLUMNS)}) values ({', '.join('?' * len(_COLUMNS))})",
        [row[column] for column in _COLUMNS],
    )


def record_transition(con, transition: Transition, now: datetime) -> None:
    alert = transition.alert
    con.execute(
        "insert into alert_transitions values (?, ?, ?, ?, ?, ?)",
        [now, alert.rule, alert.key, transition.from_state, transition.to_state, alert.value],
    )
    if transition.to_state == FIRING:
        con.execute(
            "insert or replace into alert_episodes (rule, labels_key, episode, fired_at) values (?, ?, ?, ?)",
            [alert.rule, alert.key, alert.episode, now],
        )
    elif transition.to_state == RESOLVED:
        con.execute(
            "update alert_episodes set resolved_at = ?, flapped = flapped or ? where rule = ? and labels_key = ? and episode = ?",
            [now, alert.flapping, alert.rule, alert.key, alert.episode],
        )


def mark_episode(con, alert: Alert, silenced: bool = False, notified: bool = False) -> None:
    con.execute(
        """update alert_episodes set silenced = silenced or ?, flapped = flapped or ?,
               notifications = notifications + ?
           where rule = ? and labels_key = ? and episode = ?""",
        [silenced, alert.flapping, 1 if notified else 0, alert.rule, alert.key, alert.episode],
    )


def recent_changes(con, rule: str, key: str, now: datetime, window: timedelta) -> int:
    """Firing/resolved changes of one alert within the flap window."""
    return con.execute(
        """select count(*) from alert_transitions
           where rule = ? and labels_key = ? and to_state in ('firing', 'resolved') and ts > ? and ts <= ?""",
        [rule, key, now - window, now],
    ).fetchone()[0]
