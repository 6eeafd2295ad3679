"""The landing writer: schema enforcement, day partitions, unique names, concurrent processes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.errors import JoblensError
from pipelines.lake import schema as lake_schema
from pipelines.lake.files import read_sidecar, sha256_file
from pipelines.lake.writer import LakeWriter, conform, to_arrow

from .conftest import START, log_rows


def landing_files(lake, table="logs"):
    return sorted((lake / "landing" / table).glob("date=*/*.parquet"))


def test_rows_land_as_zstd_parquet_with_schema_and_manifest(lake):
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(5, start=datetime(2026, 3, 1, 10, tzinfo=timezone.utc)))
    [path] = landing_files(lake)
    assert path.parent.name == "date=2026-03-01"
    meta = pq.read_metadata(path)
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.metadata[lake_schema.SCHEMA_VERSION_KEY] == b"1"
    assert pq.read_schema(path).remove_metadata().equals(lake_schema.schema("logs").remove_metadata())
    entry = read_sidecar(path)
    assert (entry.rows, entry.bytes, entry.sha256) == (5, path.stat().st_size, sha256_file(path))
    assert pq.read_table(path).column("schema_version").to_pylist() == [1] * 5


def test_unknown_field_is_refused_naming_it(lake):
    row = {**log_rows(1)[0], "colour": "red"}
    writer = LakeWriter(lake)
    with pytest.raises(JoblensError, match="lake table logs: unknown field 'colour'"):
        writer.add("logs", row)  # refused at once, not at the next flush
    assert writer.pending() == 0
    with pytest.raises(JoblensError, match="unknown field"):
        to_arrow("logs", [row])


def test_unknown_table_is_refused():
    with pytest.raises(JoblensError, match="unknown lake table 'log'"):
        to_arrow("log", [])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"id": None}, "field 'id' is required but null"),
        ({"ts": "yesterday"}, "lake table logs"),
        ({"kind": "gossip"}, "field 'kind' has value 'gossip'"),
        ({"level": None}, "field 'level' is required"),
    ],
)
def test_bad_values_are_refused_and_nothing_lands(lake, change, message):
    rows = log_rows(3)
    rows[1] = {**rows[1], **change}
    writer = LakeWriter(lake)
    writer.extend("logs", rows)
    with pytest.raises(JoblensError, match=message):
        writer.flush()
    assert landing_files(lake) == []


def test_vocabularies_of_runs_and_steps_are_enforced(lake):
    run = {"id": "a", "run_id": "r", "ts": START, "status": "finished"}
    with pytest.raises(JoblensError, match="'status' has value 'finished'"):
        LakeWriter(lake).write("runs", to_arrow_unchecked("runs", [run]))
    step = {"id": "s", "run_id": "r", "ts": START, "step_key": "a", "attempt": 1, "status": "usage"}
    assert LakeWriter(lake).write("steps", to_arrow("steps", [step]))


def to_arrow_unchecked(table, rows):
    return pa.Table.from_pylist([{"schema_version": 1, **r} for r in rows], schema=lake_schema.schema(table))


def test_rows_split_by_utc_day(lake):
    rows = log_rows(4, start=datetime(2026, 3, 1, 23, 59, 58, tzinfo=timezone.utc))
    # an aware non-UTC time goes to its UTC day: 01:30+02:00 is 23:30 the day before
    rows.append({**rows[0], "id": "tz", "ts": datetime(2026, 3, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))})
    with LakeWriter(lake) as writer:
        writer.extend("logs", rows)
    by_day = {p.parent.name: pq.read_table(p).column("id").to_pylist() for p in landing_files(lake)}
    assert by_day == {"date=2026-03-01": ["l-0", "l-1"], "date=2026-03-02": ["l-2", "l-3", "tz"]}


def test_buffer_flushes_at_its_size_and_conform_fills_absent_columns(lake):
    writer = LakeWriter(lake, buffer_rows=10)
    writer.extend("logs", log_rows(25))
    assert len(landing_files(lake)) == 2 and writer.pending() == 5
    writer.flush()
    assert sum(pq.read_metadata(p).num_rows for p in landing_files(lake)) == 25
    slim = pa.table({"id": ["x"], "run_id": ["r"], "ts": pa.array([START], lake_schema.TS),
                     "kind": ["log"], "level": ["info"]})
    full = conform("logs", slim)
    assert full.schema.names == lake_schema.schema("logs").names
    assert full.column("message").null_count == 1


def test_names_are_unique_within_a_process(lake):
    writer = LakeWriter(lake)
    for i in range(50):
        writer.write("logs", to_arrow("logs", log_rows(1, prefix=f"n{i}")))
    assert len({p.name for p in landing_files(lake)}) == 50


WRITER_SCRIPT = """
import sys
from datetime import datetime, timedelta, timezone
from pipelines.lake.writer import LakeWriter
lake, worker = sys.argv[1], int(sys.argv[2])
start = datetime(2026, 3, 1, 23, 59, 50, tzinfo=timezone.utc)
w = LakeWriter(lake, buffer_rows=7)
for i in range(60):
    w.add("logs", {"id": f"w{worker}-{i}", "run_id": "r", "ts": start + timedelta(seconds=i / 3),
                   "kind": "log", "level": "info", "message": str(i)})
w.flush()
"""


def test_concurrent_writer_processes_never_collide(lake, view):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(lake), str(n)]) for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    files = landing_files(lake)
    assert len(files) == len({f.name for f in files}) == 4 * 10  # 8 full buffers + the rest; one straddles midnight
    sidecars = list((lake / "landing" / "logs").glob("date=*/*.manifest.json"))
    assert len(sidecars) == len(files)
    assert all(json.loads(s.read_text())["rows"] > 0 for s in sidecars)
    rows = view("select id from logs")
    assert len(rows) == 240 and len({r[0] for r in rows}) == 240
    assert not list(lake.rglob("*.tmp"))


def test_a_null_in_a_nullable_vocabulary_column_is_accepted(tmp_path):
    from datetime import datetime, timezone

    from pipelines.lake.writer import LakeWriter

    writer = LakeWriter(tmp_path / "lake")
    row = {"id": "r1", "run_id": "run-1", "ts": datetime(2026, 11, 1, tzinfo=timezone.utc), "status": "queued",
           "job_type": None, "trigger": None}
    writer.add("runs", row)
    assert len(writer.flush()) == 1
