"""A report asked for while a refresh holds the warehouse waits for it, then runs; past its
wait it says what holds the file, in one line."""

from __future__ import annotations

import time

import pytest

from reports.errors import ReportError
from reports.warehouse import open_warehouse
from tests.duckdb_holder import holding

RUNS = "create table if not exists fct_runs as select 'r1' as run_id"


def test_waits_for_a_refresh_to_let_go(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with holding(path, 1.0, RUNS):
        started = time.monotonic()
        with open_warehouse(path) as con:
            assert con.execute("select run_id from fct_runs").fetchall() == [("r1",)]
        assert time.monotonic() - started >= 0.3  # it did wait for the holder


def test_past_its_wait_names_the_file_and_the_hold(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with holding(path, 5.0, RUNS):
        with pytest.raises(ReportError, match=r"cannot open warehouse .*warehouse\.duckdb \(still held by another process") as err:
            with open_warehouse(path, wait_s=0.3):
                pass
        assert "\n" not in str(err.value)
