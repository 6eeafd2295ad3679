"""Opening a DuckDB file that another process may hold for a moment.

DuckDB lets one process write a database file, and no other process open it meanwhile,
not even read-only. JobLens keeps its connections short, so a conflicting lock is
released within moments: wait for it with backoff instead of failing the step.

The one lock-waiting open of JobLens: the reports and alerting libraries use it too, so
this module imports nothing but DuckDB (and ``pipelines/__init__`` nothing at all).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

LOCK_MESSAGE = "Could not set lock on file"


def connect_file(path: Path, read_only: bool = False, wait_s: float = 30.0,
                 config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(path)``, retried while another process holds the file's lock."""
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            if LOCK_MESSAGE not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
