"""Fixtures of the lake tests: a lake folder, row factories and a view reader."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipelines.lake.reader import connect

START = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)


def log_rows(n: int, start: datetime = START, step: timedelta = timedelta(seconds=1), prefix: str = "l"):
    """``n`` log rows with ids ``<prefix>-<i>``, one ``step`` apart from ``start``."""
    return [
        {"id": f"{prefix}-{i}", "run_id": f"run-{i % 3}", "ts": start + i * step, "kind": "log",
         "level": "info", "message": f"message {i}"}
        for i in range(n)
    ]


@pytest.fixture
def lake(joblens_home):
    return joblens_home.lake


@pytest.fixture
def view(lake):
    """Rows of a view as a list of tuples: ``view("select id from logs", days=None)``."""

    def run(sql: str, days: set[str] | None = None):
        con = connect(lake, days=days)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return run


def ids(rows) -> list[str]:
    return sorted(r[0] for r in rows)
