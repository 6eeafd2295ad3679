"""The warehouse's own connections wait for another process that holds the file (a report
being read, a refresh being written), then open; past the wait they fail in one line."""

from __future__ import annotations

import time

import pytest

from pipelines.errors import JoblensError
from pipelines.home import resolve_home
from pipelines.models import warehouse
from tests.duckdb_holder import holding

RUNS = "create table if not exists fct_runs as select 'r1' as run_id"


@pytest.fixture
def home(tmp_path):
    return resolve_home(tmp_path / "home").ensure()


@pytest.mark.parametrize("open_connection", [warehouse.refresh_connection, warehouse.read_connection])
def test_waits_for_another_process_to_let_go(home, open_connection):
    with holding(home.warehouse, 1.0, RUNS):
        started = time.monotonic()
        with open_connection(home) as con:
            assert con.execute("select run_id from fct_runs").fetchall() == [("r1",)]
        assert time.monotonic() - started >= 0.3  # it did wait for the holder


def test_past_its_wait_names_the_file_in_one_line(home, monkeypatch):
    monkeypatch.setattr(warehouse, "WAREHOUSE_WAIT_S", 0.3)
    with holding(home.warehouse, 5.0, RUNS):
        with pytest.raises(JoblensError, match=r"cannot open warehouse .*warehouse\.duckdb: .*lock") as err:
            with warehouse.refresh_connection(home):
                pass
    assert "\n" not in str(err.value)
