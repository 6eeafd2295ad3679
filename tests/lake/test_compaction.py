"""Compaction: sorted, one file per table and day, large row groups, size split, idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from pipelines.errors import JoblensError
from pipelines.lake import inventory
from pipelines.lake.compaction import compact
from pipelines.lake.writer import LakeWriter, to_arrow

from .conftest import START, log_rows


def compacted_files(lake, table="logs"):
    return sorted((lake / "tables" / table).glob("date=*/*.parquet"))


def write_shuffled(lake, rows, batches):
    rows = rows[:]
    random.Random(7).shuffle(rows)
    size = -(-len(rows) // batches)
    for start in range(0, len(rows), size):
        with LakeWriter(lake) as writer:
            writer.extend("logs", rows[start:start + size])


def test_landing_files_merge_into_one_sorted_file_per_day(lake, view):
    write_shuffled(lake, log_rows(300, step=timedelta(seconds=30)), batches=12)
    before = sorted(view("select * from logs"))
    report = compact(lake, retire_grace_s=0)
    files = compacted_files(lake)
    assert [f.parent.name for f in files] == ["date=2026-03-01", "date=2026-03-02"]
    assert report.files_written == 2 and report.rows_written == 300 and report.days_compacted == 2
    for f in files:
        ts = pq.read_table(f).column("ts").to_pylist()
        assert ts == sorted(ts)
    assert not list((lake / "landing" / "logs").glob("date=*/*"))
    assert sorted(view("select * from logs")) == before


def test_row_groups_hold_at_least_100k_rows_when_rows_allow(lake):
    rows = log_rows(250_000, step=timedelta(milliseconds=100))  # all on 2026-03-01 and early 03-02
    write_shuffled(lake, rows, batches=5)
    compact(lake, row_group_rows=100_000, retire_grace_s=0)
    for f in compacted_files(lake):
        meta = pq.read_metadata(f)
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        assert all(n >= 100_000 for n in sizes[:-1]) and sum(sizes) == meta.num_rows


def test_target_size_splits_a_day_into_even_parts(lake, view):
    rows = log_rows(40_000, step=timedelta(milliseconds=50))
    for r in rows:
        r["message"] = f"{r['message']} " + "x" * 100
    write_shuffled(lake, rows, batches=4)
    report = compact(lake, target_file_mb=1, row_group_rows=1000, retire_grace_s=0)
    parts = compacted_files(lake)
    assert len(parts) == report.files_written > 2
    counts = [pq.read_metadata(p).num_rows for p in parts]
    assert max(counts) - min(counts) <= 1
    manifest = inventory.read_manifest(parts[0].parent)
    assert sorted(e.name for e in manifest.files) == [p.name for p in parts]
    assert view("select count(*), count(distinct id) from logs") == [(40_000, 40_000)]


def test_rerun_is_idempotent_and_new_rows_merge_into_the_day(lake, view):
    write_shuffled(lake, log_rows(100), batches=3)
    compact(lake, retire_grace_s=0)
    snapshot = {f.name: f.read_bytes() for f in compacted_files(lake)}
    again = compact(lake, retire_grace_s=0)
    assert again.days_compacted == 0 and {f.name: f.read_bytes() for f in compacted_files(lake)} == snapshot
    with LakeWriter(lake) as writer:  # a replay of old rows and one new row
        writer.extend("logs", log_rows(100)[:10] + log_rows(1, start=START + timedelta(minutes=1), prefix="new"))
    compact(lake, retire_grace_s=0)
    assert len(compacted_files(lake)) == 1
    assert view("select count(*), count(distinct id) from logs") == [(101, 101)]


def test_unknown_table_fails_before_anything_moves(lake):
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(3))
    with pytest.raises(JoblensError, match="unknown lake table 'nope'"):
        compact(lake, tables=("logs", "nope"))
    assert compacted_files(lake) == []


def test_a_second_compaction_at_once_is_refused(lake):
    import fcntl

    lake.mkdir(parents=True, exist_ok=True)
    with open(lake / ".compaction.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(JoblensError, match="another compaction"):
            compact(lake, retire_grace_s=0)


def test_a_query_planned_before_compaction_still_runs_after_it(lake):
    from pipelines.lake.reader import connect

    write_shuffled(lake, log_rows(50), batches=2)
    compact(lake)
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(5, start=START + timedelta(minutes=5), prefix="more"))
    con = connect(lake)  # the views name today's files
    report = compact(lake)  # replaces the compacted part and merges the landing file
    assert report.days_compacted == 1
    assert con.execute("select count(*), count(distinct id) from logs").fetchone() == (55, 55)
    assert connect(lake).execute("select count(*) from logs").fetchone() == (55,)
    # past the grace period the next run deletes what it retired
    removed = compact(lake, retire_grace_s=0).garbage_removed
    assert removed == 4  # the replaced part and the three merged landing files
    assert len(compacted_files(lake)) == 1 and not list((lake / "landing" / "logs").glob("date=*/*.parquet"))


def test_compact_command_reports_counts_and_quarantine(lake):
    import json

    from typer.testing import CliRunner

    from pipelines.cli.app import _register, app

    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(30))
    [bad] = LakeWriter(lake).write("logs", to_arrow("logs", log_rows(2, prefix="bad")))
    bad.write_bytes(b"not parquet")
    _register()
    result = CliRunner().invoke(app, ["compact", "--format", "json", "--retire-grace-s", "0"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["rows_written"], row["files_written"], row["quarantined"]) == (30, 1, 1)
    assert "quarantined" in result.stderr and bad.name in result.stderr
    bad_table = CliRunner().invoke(app, ["compact", "--table", "nope"])
    assert bad_table.exit_code != 0 and "unknown lake table 'nope'" in str(bad_table.exception)
