"""Opening a DuckDB file another process holds: wait for the lock instead of failing."""

from __future__ import annotations

import time

import duckdb
import pytest

from pipelines.duckdb_files import connect_file
from tests.duckdb_holder import holding

ANSWER = "create table if not exists t as select 42 as answer"


def test_waits_for_a_writer_in_another_process_to_let_go(tmp_path):
    path = tmp_path / "kb.duckdb"
    with holding(path, 1.0, ANSWER):
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(path), read_only=True)  # what a plain connect does meanwhile
        started = time.monotonic()
        con = connect_file(path, read_only=True, wait_s=30)
        assert con.execute("select answer from t").fetchone() == (42,)
        assert time.monotonic() - started < 30
        con.close()


def test_gives_up_after_its_wait(tmp_path):
    path = tmp_path / "kb.duckdb"
    with holding(path, 5.0, ANSWER):
        with pytest.raises(duckdb.IOException, match="lock"):
            connect_file(path, wait_s=0.3)
