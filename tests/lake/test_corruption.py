"""Damaged landing files: compaction quarantines them with a reason, readers skip them, the rest survives."""

from __future__ import annotations

import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from pipelines.lake import schema as lake_schema
from pipelines.lake.compaction import compact
from pipelines.lake.files import publish_parquet, sidecar_path
from pipelines.lake.writer import LakeWriter, to_arrow

from .conftest import START, ids, log_rows

GOOD = [f"good-{i}" for i in range(20)]


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_bit(path):
    # a byte inside the first data page: the footer stays valid, the content does not
    data = bytearray(path.read_bytes())
    data[len(data) // 4] ^= 0x10
    path.write_bytes(bytes(data))


def mismatch_rows(path):
    side = sidecar_path(path)
    raw = json.loads(side.read_text())
    side.write_text(json.dumps({**raw, "rows": raw["rows"] + 1}))


def mismatch_checksum(path):
    side = sidecar_path(path)
    side.write_text(json.dumps({**json.loads(side.read_text()), "sha256": "0" * 64}))


def drop_sidecar(path):
    sidecar_path(path).unlink()


def future_version(path):
    table = pq.read_table(path).replace_schema_metadata({lake_schema.SCHEMA_VERSION_KEY: b"99"})
    path.unlink()
    sidecar_path(path).unlink()
    publish_parquet(table, path, 99)


DAMAGE = {
    truncate: "unreadable Parquet footer",
    flip_bit: "SHA-256 differs from manifest",
    mismatch_rows: "row count 5 differs from manifest",
    mismatch_checksum: "SHA-256 differs from manifest",
    drop_sidecar: "no manifest",
    future_version: "unknown schema version 99",
}


@pytest.fixture
def damaged_lake(lake):
    """20 good rows in two files, and one 5-row file to damage."""

    def make(damage):
        rows = log_rows(20, prefix="good")
        for chunk in (rows[:10], rows[10:]):
            LakeWriter(lake).write("logs", to_arrow("logs", chunk))
        messages = [{**r, "message": "x" * 2000} for r in log_rows(5, start=START + timedelta(minutes=5), prefix="bad")]
        [bad] = LakeWriter(lake).write("logs", to_arrow("logs", messages))
        damage(bad)
        return bad

    return make


@pytest.mark.parametrize("damage", list(DAMAGE), ids=[d.__name__ for d in DAMAGE])
def test_reader_skips_a_damaged_file_and_reads_the_rest(damaged_lake, view, damage):
    damaged_lake(damage)
    assert ids(view("select id from logs")) == sorted(GOOD)


@pytest.mark.parametrize("damage", list(DAMAGE), ids=[d.__name__ for d in DAMAGE])
def test_compaction_quarantines_a_damaged_file_with_its_reason(lake, damaged_lake, view, damage):
    bad = damaged_lake(damage)
    report = compact(lake, retire_grace_s=0)
    assert [(p, r.split(" (")[0]) for p, r in report.quarantined] == [(str(bad), DAMAGE[damage])]
    quarantine = lake / "quarantine" / "logs" / bad.parent.name
    assert (quarantine / bad.name).exists() and not bad.exists()
    assert DAMAGE[damage] in (quarantine / f"{bad.stem}.reason.txt").read_text()
    assert report.rows_written == 20
    assert ids(view("select id from logs")) == sorted(GOOD)
    assert compact(lake, retire_grace_s=0).quarantined == []  # nothing left to quarantine


def test_a_damaged_compacted_file_is_skipped_and_its_day_left_alone(lake, view):
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(10))
    compact(lake, retire_grace_s=0)
    [part] = (lake / "tables" / "logs").glob("date=*/*.parquet")
    truncate(part)
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(3, prefix="later"))
    assert ids(view("select id from logs")) == ["later-0", "later-1", "later-2"]
    report = compact(lake, retire_grace_s=0)
    assert [p for p, _ in report.damaged] == [str(part)] and report.rows_written == 0
    assert ids(view("select id from logs")) == ["later-0", "later-1", "later-2"]  # landing rows kept readable


def test_a_stray_temporary_file_is_never_read(lake, view):
    with LakeWriter(lake) as writer:
        writer.extend("logs", log_rows(2))
    day = next((lake / "landing" / "logs").iterdir())
    (day / ".half-written.parquet.1234.tmp").write_bytes(b"PAR1 partial")
    assert view("select count(*) from logs") == [(2,)]
    assert compact(lake, retire_grace_s=0).quarantined == []
