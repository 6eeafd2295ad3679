"""Fixtures of the alerting tests: a small warehouse with the issue-4 tables, real notification
endpoints on 127.0.0.1 (an HTTP receiver for Apprise json:// and form://, an SMTP server for
mailto://), an Apprise channel file routing tags to them, and rule files written on tmp_path."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)

# The public columns of the models (issue 4) that alerts read.
TABLES = {
    "fct_runs": """run_id varchar, job_name varchar, job_type varchar, team varchar, trigger varchar, status varchar,
        priority integer, parent_run_id varchar, root_run_id varchar, queued_at timestamptz, started_at timestamptz,
        ended_at timestamptz, queue_wait_s double, prep_s double, duration_s double, step_count integer,
        failed_steps integer, step_retries integer, input_tokens bigint, output_tokens bigint, cost_usd double,
        error_code varchar, error_signature varchar, day date""",
    "agg_job_daily": """day date, job_name varchar, job_type varchar, runs bigint, completed bigint, failed bigint,
        cancelled bigint, success_rate double, p50_duration_s double, p95_duration_s double, max_duration_s double,
        p95_queue_wait_s double, retries bigint, cost_usd double, input_tokens bigint, output_tokens bigint""",
    "agg_cost_daily": """day date, job_name varchar, provider varchar, model varchar, calls bigint, input_tokens bigint,
        cached_input_tokens bigint, output_tokens bigint, cost_usd double""",
    "failure_patterns": """signature varchar, error_code varchar, error_class varchar, transient boolean,
        sample_message varchar, remediation varchar, occurrences bigint, runs_affected bigint, jobs_affected bigint,
        first_seen timestamptz, last_seen timestamptz, occurrences_last_7d bigint, occurrences_prev_7d bigint, is_new boolean""",
    "budget_status": """budget_name varchar, scope varchar, match varchar, month date, budget_usd double,
        spend_mtd_usd double, days_elapsed double, days_in_month integer, forecast_month_end_usd double,
        share_used double, forecast_share double, warn_at double, status varchar""",
}


class Warehouse:
    """``JOBLENS_HOME/warehouse.duckdb`` with the model tables, rewritten between evaluations."""

    def __init__(self, path: Path):
        self.path = path
        with duckdb.connect(str(path)) as con:
            for name, columns in TABLES.items():
                con.execute(f"create table {name} ({columns})")

    def insert(self, table: str, rows: list[dict]) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute("set TimeZone = 'UTC'")
            for row in rows:
                names = list(row)
                con.execute(f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})", list(row.values()))

    @staticmethod
    def run_row(run_id: str, job: str, status: str, ended_at: datetime | None, **extra) -> dict:
        return run_row(run_id, job, status, ended_at, **extra)

    def clear(self, table: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(f"delete from {table}")

    def failure_rates(self, now: datetime, rates: dict[str, tuple[int, int]]) -> None:
        """Replace fct_runs by, per job, ``total`` runs ended in the last hour of which ``failed`` failed."""
        self.clear("fct_runs")
        rows = []
        for job, (failed, total) in rates.items():
            for i in range(total):
                ended = now - timedelta(minutes=50) + timedelta(minutes=i)
                rows.append(run_row(f"{job}-{now:%H%M}-{i}", job, "failed" if i < failed else "completed", ended))
        self.insert("fct_runs", rows)


def run_row(run_id: str, job: str, status: str, ended_at: datetime | None, **extra) -> dict:
    queued = (ended_at or extra.get("started_at") or T0) - timedelta(minutes=5)
    row = {
        "run_id": run_id, "job_name": job, "job_type": "workflow", "team": "data", "trigger": "schedule",
        "status": status, "priority": 0, "queued_at": queued, "started_at": queued + timedelta(seconds=30),
        "ended_at": ended_at, "queue_wait_s": 30.0, "duration_s": 270.0 if ended_at else None, "cost_usd": 0.01,
        "error_code": "timeout" if status == "failed" else None, "day": (ended_at or queued).date(),
    }
    row.update(extra)
    return row


@pytest.fixture
def t0() -> datetime:
    """The fixed start of every test's clock."""
    return T0


@pytest.fixture
def warehouse(joblens_home) -> Warehouse:
    return Warehouse(joblens_home.warehouse)


@dataclass
class Received:
    path: str
    content_type: str
    fields: dict


@dataclass
class HttpReceiver:
    """Apprise json:// and form:// endpoints; paths in ``failing`` answer 500 (an outage)."""

    port: int
    failing: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == "/" + path]


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            ctype = self.headers.get("Content-Type", "")
            status = 500 if self.path.lstrip("/") in receiver.failing else 200
            if status == 200:
                fields = json.loads(raw) if "json" in ctype else dict(urllib.parse.parse_qsl(raw))
                receiver.received.append(Received(self.path, ctype, fields))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class SmtpReceiver:
    port: int
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        import email

        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_receiver():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = SmtpReceiver(port)
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    yield receiver
    controller.stop()


@pytest.fixture
def channels_file(tmp_path, monkeypatch, http_receiver, smtp_receiver) -> Path:
    """Tags ops → json://, oncall → form://, email → mailto:// (plain SMTP), file → the JSON-lines file."""
    path = tmp_path / "channels.yaml"
    mailto = f"mailto://joblens.test?smtp=127.0.0.1&port={smtp_receiver.port}&mode=insecure&from=alerts@joblens.test&to=oncall@joblens.test"
    path.write_text(
        "version: 1\nurls:\n"
        f"  - {http_receiver.url('json', 'ops')}:\n      tag: ops\n"
        f"  - {http_receiver.url('form', 'oncall')}:\n      tag: oncall\n"
        f"  - \"{mailto}\":\n      tag: email\n"
        "  - joblensfile://alerts/test.jsonl:\n      tag: file\n"
    )
    monkeypatch.setenv("JOBLENS_CHANNELS", str(path))
    return path


@pytest.fixture
def write_rules(tmp_path):
    """Write a rule file under tmp_path and return its path."""

    def write(text: str, name: str = "rules.yaml") -> Path:
        path = tmp_path / "rules" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return path

    return write
