"""Silences (muted by a person, until they expire) and inhibition (muted while another alert fires)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.alerts import FIRING, Alert
from alerting.errors import AlertingError
from alerting.rules import InhibitRule

RUN_FAILURE = "run_failure"  # the pseudo-rule of immediate per-run failure messages


@dataclass(frozen=True)
class Silence:
    id: str
    rule: str
    matchers: dict
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str

    def matches(self, rule: str, labels: dict) -> bool:
        return self.rule in (rule, "*") and all(str(labels.get(k)) == str(v) for k, v in self.matchers.items())


def parse_matchers(pairs: list[str]) -> dict:
    """``["job=ingest", "team=data"]`` → ``{"job": "ingest", "team": "data"}``."""
    matchers = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise AlertingError(f"--label {pair!r}: expected name=value")
        matchers[name.strip()] = value.strip()
    return matchers


def add_silence(con, rule: str, matchers: dict, duration: timedelta, comment: str, created_by: str, now: datetime) -> Silence:
    if duration <= timedelta(0):
        raise AlertingError("--for: a silence must last longer than 0s")
    if not comment.strip():
        raise AlertingError("--comment: say why the alert is silenced")
    silence = Silence(secrets.token_hex(4), rule, matchers, now, now + duration, comment.strip(), created_by)
    con.execute(
        "insert into silences values (?, ?, ?, ?, ?, ?, ?, ?)",
        [silence.id, rule, json.dumps(matchers), silence.starts_at, silence.ends_at, silence.comment, created_by, now],
    )
    return silence


def active_silences(con, now: datetime) -> list[Silence]:
    rows = con.execute(
        "select id, rule, matchers, starts_at, ends_at, comment, created_by from silences where starts_at <= ? and ends_at > ? order by ends_at",
        [now, now],
    ).fetchall()
    return [Silence(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5] or "", r[6] or "") for r in rows]


def expire_silence(con, silence_id: str, now: datetime) -> None:
    if not con.execute("select count(*) from silences where id = ?", [silence_id]).fetchone()[0]:
        raise AlertingError(f"silence {silence_id!r} does not exist")
    con.execute("update silences set ends_at = least(ends_at, ?) where id = ?", [now, silence_id])


def suppression(
    rule: str,
    depends_on: tuple[str, ...],
    labels: dict,
    firing: list[Alert],
    inhibit_rules: list[InhibitRule],
    silences: list[Silence],
) -> str | None:
    """Why an alert (or a run-failure message) is muted now, or None."""
    for silence in silences:
        if silence.matches(rule, labels):
            return f"silence {silence.id}"
    names = {rule, *depends_on}
    for inhibit in inhibit_rules:
        if inhibit.source == rule or not names.intersection(inhibit.targets):
            continue
        for source in firing:
            if source.rule == inhibit.source and source.state == FIRING and _equal(inhibit.equal, source.labels, labels):
                return f"inhibited by {inhibit.source}"
    return None


def _equal(names: tuple[str, ...], source: dict, target: dict) -> bool:
    return all(str(source.get(n)) == str(target.get(n)) for n in names)
