"""Opening a DuckDB file another process holds: wait for the lock instead of failing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from pipelines.duckdb_files import connect_file

HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table if not exists t as select 42 as answer")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_waits_for_a_writer_in_another_process_to_let_go(tmp_path):
    path = tmp_path / "kb.duckdb"
    holder = _hold(path, 1.0)
    with pytest.raises(duckdb.IOException):
        duckdb.connect(str(path), read_only=True)  # what a plain connect does meanwhile
    started = time.monotonic()
    con = connect_file(path, read_only=True, wait_s=30)
    assert con.execute("select answer from t").fetchone() == (42,)
    assert time.monotonic() - started < 30
    con.close()
    holder.wait(timeout=30)


def test_gives_up_after_its_wait(tmp_path):
    path = tmp_path / "kb.duckdb"
    holder = _hold(path, 5.0)
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            connect_file(path, wait_s=0.3)
    finally:
        holder.wait(timeout=30)
