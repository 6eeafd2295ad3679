"""At-least-once delivery: the intent to notify is written first, marked sent once Apprise confirms.

A crash between sending and marking leaves the row pending, so the next pass sends it again:
at most one duplicate, never a lost notification. A failed send stays pending and is retried
with exponential backoff; a route that fails ``BROKEN_AFTER`` times in a row is reported to
every other route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.faults import checkpoint
from alerting.messages import Message, channel_broken_message

BROKEN_AFTER = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0


def enqueue(con, dedup_key: str, route: str, kind: str, message: Message, now: datetime, rule: str | None = None, alerts: list | None = None) -> int | None:
    """Record the intent to send; its id, or None when this exact notification was already recorded."""
    inserted = con.execute(
        """insert into alert_notifications
               (dedup_key, created_at, rule, route, kind, title, body, notify_type, alerts, status, next_attempt_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
           on conflict (dedup_key) do nothing returning id""",
        [dedup_key, now, rule, route, kind, message.title, message.body, message.notify_type, json.dumps(alerts or []), now],
    ).fetchall()
    return inserted[0][0] if inserted else None


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def deliver_pending(store, channels, now: datetime, only: set[int] | None = None) -> DeliveryReport:
    """Send every pending notification that is due, oldest first; a route that fails is left for the next pass.

    ``store()`` opens the alert store; it is held only to read and to mark, never while a channel
    answers, so other JobLens processes are not kept waiting on a slow endpoint.
    """
    report = DeliveryReport()
    for _round in range(2):  # the second round sends the broken-channel notices the first one raised
        with store() as con:
            rows = con.execute(
                """select id, route, title, body, notify_type, attempts from alert_notifications
                   where status = 'pending' and next_attempt_at <= ? order by id""",
                [now],
            ).fetchall()
        failed_routes: set[str] = set()
        raised = False
        for id_, route, title, body, notify_type, attempts in rows:
            if (only is not None and id_ not in only) or route in failed_routes:
                continue
            checkpoint("alerts.before_send")
            delivery = channels.send(route, title, body, notify_type)
            checkpoint("alerts.after_send")
            with store() as con:
                if delivery.ok:
                    _mark_sent(con, id_, route, now)
                    report.sent += 1
                    continue
                failed_routes.add(route)
                report.failed += 1
                raised |= _mark_failed(con, id_, route, attempts + 1, delivery.error, now, channels)
        if not raised:
            break
    with store() as con:
        report.waiting = con.execute("select count(*) from alert_notifications where status = 'pending'").fetchone()[0]
    return report


def _mark_sent(con, id_: int, route: str, now: datetime) -> None:
    con.execute("update alert_notifications set status = 'sent', sent_at = ?, attempts = attempts + 1 where id = ?", [now, id_])
    con.execute(
        """insert into channel_health (route, consecutive_failures, last_success_at) values (?, 0, ?)
           on conflict (route) do update set consecutive_failures = 0, broken_reported = false, last_success_at = excluded.last_success_at""",
        [route, now],
    )


def _mark_failed(con, id_: int, route: str, attempts: int, error: str, now: datetime, channels) -> bool:
    """Record the failure; True when it made the route count as broken (and a notice was queued)."""
    con.execute(
        "update alert_notifications set attempts = ?, next_attempt_at = ?, last_error = ? where id = ?",
        [attempts, now + backoff(attempts), error, id_],
    )
    failures, reported = con.execute(
        """insert into channel_health (route, consecutive_failures, last_failure_at, last_error) values (?, 1, ?, ?)
           on conflict (route) do update set consecutive_failures = channel_health.consecutive_failures + 1,
               last_failure_at = excluded.last_failure_at, last_error = excluded.last_error
           returning consecutive_failures, broken_reported""",
        [route, now, error],
    ).fetchone()
    if failures < BROKEN_AFTER or reported:
        return False
    con.execute("update channel_health set broken_reported = true where route = ?", [route])
    notice = channel_broken_message(route, failures, error)
    for other in sorted(channels.tags() - {route}):
        enqueue(con, f"channel_broken|{route}|{other}|{now.isoformat()}", other, "channel_broken", notice, now)
    return True
