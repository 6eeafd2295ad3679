"""Alert state in its own DuckDB file, ``JOBLENS_HOME/alerts.duckdb``, opened briefly by each caller.

- ``alert_state``: one row per alert (rule + labels): where it is in pending → firing → resolved.
- ``alert_transitions``: every state change, for flap damping and ``alert_quality``.
- ``alert_episodes``: one row per firing episode: when it fired and resolved, silenced, flapped.
- ``alert_groups``: per rule and route, what the last grouped notification said and when.
- ``alert_notifications``: the delivery ledger; a row is written before sending, marked sent after.
- ``silences`` and ``channel_health``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb

from alerting.errors import AlertingError
from pipelines.duckdb_files import LOCK_MESSAGE, connect_file

SCHEMA = """
create table if not exists alert_state (
    rule varchar not null, labels_key varchar not null, labels json, state varchar not null,
    severity varchar, value double, info json, breach_count integer default 0, ok_count integer default 0,
    since timestamptz, fired_at timestamptz, resolved_at timestamptz, last_evaluated_at timestamptz,
    notify_count integer default 0, escalated boolean default false, flapping boolean default false,
    suppressed_by varchar, episode integer default 0,
    primary key (rule, labels_key)
);
create table if not exists alert_transitions (
    ts timestamptz not null, rule varchar not null, labels_key varchar not null,
    from_state varchar, to_state varchar not null, value double
);
create table if not exists alert_episodes (
    rule varchar not null, labels_key varchar not null, episode integer not null,
    fired_at timestamptz not null, resolved_at timestamptz, silenced boolean default false,
    flapped boolean default false, notifications integer default 0,
    primary key (rule, labels_key, episode)
);
create table if not exists alert_groups (
    rule varchar not null, route varchar not null, first_pending_at timestamptz,
    last_sent_at timestamptz, members json, sends integer default 0,
    primary key (rule, route)
);
create sequence if not exists alert_notification_ids;
create table if not exists alert_notifications (
    id bigint primary key default nextval('alert_notification_ids'), dedup_key varchar unique,
    created_at timestamptz not null, rule varchar, route varchar not null, kind varchar not null,
    title varchar not null, body varchar not null, notify_type varchar not null, alerts json,
    status varchar not null, attempts integer default 0, next_attempt_at timestamptz,
    sent_at timestamptz, last_error varchar
);
create table if not exists silences (
    id varchar primary key, rule varchar not null, matchers json not null, starts_at timestamptz not null,
    ends_at timestamptz not null, comment varchar, created_by varchar, created_at timestamptz not null
);
create table if not exists channel_health (
    route varchar primary key, consecutive_failures integer default 0, last_failure_at timestamptz,
    last_error varchar, broken_reported boolean default false, last_success_at timestamptz
);
"""

LOCK_WAIT_S = 10.0


def alerts_db(home_root: Path) -> Path:
    return Path(home_root) / "alerts.duckdb"


@contextmanager
def open_store(home_root: Path):
    """A short-lived read-write connection with the schema in place, waiting while another process holds the file."""
    path = alerts_db(home_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = connect_file(path, wait_s=LOCK_WAIT_S)  # a sensor tick and a CLI call take turns
    except duckdb.IOException as exc:
        if LOCK_MESSAGE not in str(exc):
            raise
        raise AlertingError(f"{path}: busy for {LOCK_WAIT_S:.0f}s (another JobLens process is evaluating alerts); try again") from None
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(SCHEMA)
        yield con
    finally:
        con.close()
