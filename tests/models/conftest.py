"""Fixtures of the model tests: a lake history builder, test prices and budgets, queries."""

from __future__ import annotations

import duckdb
import pytest

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.lake.writer import LakeWriter

_ids = itertools.count(1)


def at(text: str) -> datetime:
    """'2024-11-03 10:00' (or with seconds) as a UTC timestamp."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def plus(ts: datetime, seconds: float) -> datetime:
    return ts + timedelta(seconds=seconds)


class History:
    """Runs, steps, errors and model calls as a test states them, written as lake rows."""

    at = staticmethod(at)
    plus = staticmethod(plus)

    def __init__(self, lake: Path):
        self.writer = LakeWriter(lake)

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(_ids)}"

    def run(self, run_id: str, job: str, queued: datetime, statuses: list[tuple[str, float]],
            job_type: str = "workflow", team: str | None = "core", trigger: str = "schedule",
            priority: int = 0, parent: str | None = None, root: str | None = None) -> None:
        """``statuses``: (status, seconds after queued) transitions after 'queued'."""
        rows = [("queued", 0.0), *statuses]
        for status, offset in rows:
            self.writer.add("runs", {
                "id": f"{run_id}:{status}", "run_id": run_id, "ts": plus(queued, offset), "status": status,
                "job_name": job, "job_type": job_type, "team": team, "trigger": trigger, "priority": priority,
                "parent_run_id": parent, "root_run_id": root,
            })

    def step(self, run_id: str, job: str, step_key: str, started: datetime, seconds: float,
             status: str = "completed", attempt: int = 1, error_code: str | None = None,
             wait_before_s: float | None = None, cpu_s: float | None = None, rss_mb: float | None = None) -> None:
        """One attempt as open + close rows (and a usage row when cpu or memory is given)."""
        key = f"{run_id}:{step_key}:{attempt}"
        self.writer.add("steps", {"id": f"{key}:start", "run_id": run_id, "ts": started, "job_name": job,
                                  "step_key": step_key, "attempt": attempt, "status": "started",
                                  "started_at": started, "wait_before_s": wait_before_s, "source": "dagster"})
        ended = plus(started, seconds)
        if status != "running":
            self.writer.add("steps", {"id": f"{key}:end", "run_id": run_id, "ts": ended, "job_name": job,
                                      "step_key": step_key, "attempt": attempt, "status": status,
                                      "ended_at": ended, "duration_s": seconds, "error_code": error_code,
                                      "source": "dagster"})
        if cpu_s is not None or rss_mb is not None:
            self.writer.add("steps", {"id": f"{key}:usage", "run_id": run_id, "ts": ended, "job_name": job,
                                      "step_key": step_key, "attempt": attempt, "status": "usage",
                                      "cpu_s": cpu_s, "peak_rss_mb": rss_mb, "source": "telemetry"})

    def error(self, run_id: str, job: str, ts: datetime, code: str, signature: str, step_key: str | None = None,
              attempt: int | None = 1, error_class: str = "RuntimeError", message: str = "boom",
              transient: bool = False, source: str = "telemetry") -> None:
        self.writer.add("errors", {"id": self._id("err"), "run_id": run_id, "ts": ts, "job_name": job,
                                   "step_key": step_key, "attempt": attempt if step_key else None,
                                   "error_class": error_class, "error_code": code, "transient": transient,
                                   "message": message, "signature": signature, "source": source})

    def call(self, run_id: str, job: str, ts: datetime, model: str, input_tokens: int, output_tokens: int,
             provider: str = "openai", step_key: str | None = "step", cached: int = 0, outcome: str = "ok") -> None:
        self.writer.add("model_calls", {"id": self._id("call"), "run_id": run_id, "ts": ts, "job_name": job,
                                        "step_key": step_key, "provider": provider, "model": model,
                                        "operation": "chat", "input_tokens": input_tokens,
                                        "cached_input_tokens": cached, "output_tokens": output_tokens,
                                        "latency_ms": 100.0, "outcome": outcome})

    def flush(self) -> None:
        self.writer.flush()


PRICES = """provider,model_pattern,usage_type,usd_per_million_tokens,effective_from,effective_to,price_version
acme,m*,input,1.0,2024-01-01,,acme-1
acme,m*,output,2.0,2024-01-01,,acme-1
acme,m-large*,input,10.0,2024-01-01,2024-11-15,acme-1
acme,m-large*,output,20.0,2024-01-01,2024-11-15,acme-1
acme,m-large*,input,5.0,2024-11-15,,acme-2
acme,m-large*,output,10.0,2024-11-15,,acme-2
acme,m-large*,cached_input,1.0,2024-11-15,,acme-2
"""

BUDGETS = """budgets:
  - name: everything
    scope: total
    monthly_usd: 100
  - name: core-team
    scope: team
    match: core
    monthly_usd: 10
    warn_at: 0.5
  - name: large-model
    scope: model
    match: "acme/m-large*"
    monthly_usd: 1000
"""


@pytest.fixture
def history(joblens_home, tmp_path, monkeypatch) -> History:
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES)
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(BUDGETS)
    monkeypatch.setenv("JOBLENS_PRICES", str(prices))
    monkeypatch.setenv("JOBLENS_BUDGETS", str(budgets))
    return History(joblens_home.lake)


class Warehouse:
    """Read-only queries of the test home's warehouse, rows as dicts."""

    def __init__(self, home):
        self.home = home

    def rows(self, sql: str, params=None) -> list[dict]:
        return rows(self.home, sql, params)

    def one(self, sql: str, params=None) -> dict:
        return one(self.home, sql, params)


@pytest.fixture
def wh(joblens_home) -> Warehouse:
    return Warehouse(joblens_home)


def rows(home, sql: str, params=None) -> list[dict]:
    """Query the warehouse read-only; rows as dicts."""
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def one(home, sql: str, params=None) -> dict:
    found = rows(home, sql, params)
    assert len(found) == 1, found
    return found[0]
