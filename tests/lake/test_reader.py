"""The reader: one typed view per table, de-duplicated by id across landing and compacted files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb

from pipelines.lake import schema as lake_schema
from pipelines.lake.compaction import compact
from pipelines.lake.reader import connect, day_set
from pipelines.lake.writer import LakeWriter

from .conftest import START, ids, log_rows


def write(lake, rows, table="logs"):
    with LakeWriter(lake) as writer:
        writer.extend(table, rows)


def test_empty_lake_gives_typed_empty_views(lake):
    con = connect(lake)
    for table in lake_schema.TABLES:
        rel = con.sql(f"select * from {table}")
        assert rel.fetchall() == []
        assert rel.columns == lake_schema.schema(table).names
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'steps'").fetchall())
    assert (types["ts"], types["attempt"], types["duration_s"]) == ("TIMESTAMP WITH TIME ZONE", "INTEGER", "DOUBLE")
    assert con.execute("select count(*), sum(duration_s) from steps").fetchone() == (0, None)


def test_replayed_rows_count_once_in_landing(lake, view):
    rows = log_rows(10)
    write(lake, rows)
    write(lake, rows[3:7])  # a replay of the same events
    assert ids(view("select id from logs")) == sorted(r["id"] for r in rows)


def test_rows_count_once_across_compacted_and_landing(lake, view):
    rows = log_rows(10)
    write(lake, rows)
    compact(lake)
    write(lake, rows[:4] + log_rows(2, prefix="new"))  # replay + new rows after compaction
    got = view("select id, message from logs")
    assert len(got) == 12 and len({r[0] for r in got}) == 12
    assert ("l-0", "message 0") in got


def test_days_restrict_what_is_opened(lake, view):
    write(lake, log_rows(6, start=datetime(2026, 3, 1, 22, tzinfo=timezone.utc), step=timedelta(hours=1)))
    compact(lake)
    write(lake, log_rows(2, start=datetime(2026, 3, 3, 1, tzinfo=timezone.utc), prefix="late"))
    assert view("select count(*) from logs") == [(8,)]
    assert ids(view("select id from logs", days={"2026-03-01"})) == ["l-0", "l-1"]
    assert ids(view("select id from logs", days={"2026-03-03"})) == ["late-0", "late-1"]
    assert view("select count(*) from logs", days={"2026-02-01"}) == [(0,)]
    # another day's damaged file is not even opened
    (lake / "landing" / "logs" / "date=2026-03-03").iterdir().__next__().write_bytes(b"junk")
    assert view("select count(*) from logs", days={"2026-03-02"}) == [(4,)]


def test_day_set_spans_inclusive_range(lake):
    write(lake, log_rows(3, start=datetime(2026, 3, 1, 12, tzinfo=timezone.utc), step=timedelta(days=1)))
    assert day_set(lake=lake) is None
    assert day_set(datetime(2026, 3, 2).date(), None, lake) == {"2026-03-02", "2026-03-03"}
    assert day_set(None, datetime(2026, 3, 2).date(), lake) == {"2026-03-01", "2026-03-02"}


def test_views_attach_to_a_given_connection_with_prefix(lake):
    write(lake, log_rows(2))
    con = duckdb.connect()
    connect(lake, con=con, tables=("logs",), prefix="lake_")
    assert con.execute("select count(*) from lake_logs").fetchone() == (2,)
    assert con.execute("select count(*) from information_schema.tables where table_name = 'runs'").fetchone() == (0,)


def test_older_files_missing_a_column_read_it_as_null(lake, view):
    import pyarrow as pa

    from pipelines.lake.files import publish_parquet

    slim = pa.table({"id": ["a"], "run_id": ["r"], "ts": pa.array([START], lake_schema.TS),
                     "schema_version": pa.array([1], pa.int16()), "kind": ["log"], "level": ["info"]})
    slim = slim.replace_schema_metadata({lake_schema.SCHEMA_VERSION_KEY: b"1"})
    publish_parquet(slim, lake / "landing" / "logs" / "date=2026-03-01" / "old.parquet", 1)
    write(lake, log_rows(1))
    assert sorted(view("select id, message, fields from logs")) == [("a", None, None), ("l-0", "message 0", None)]
