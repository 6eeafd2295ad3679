"""Snapshots: counts, canonical hashes and bounded redacted previews of every supported type."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pyarrow as pa
import pytest

from pipelines.errors import JoblensError
from pipelines.telemetry.redaction import DEFAULT
from pipelines.telemetry.snapshot import describe

ROWS = [
    {"id": 1, "email": "ann@example.com", "api_key": "sk-live-0000000000000000000000", "score": 0.9},
    {"id": 2, "email": "bo@example.org", "api_key": None, "score": 0.4},
    {"id": 3, "email": "cy@example.net", "api_key": None, "score": 0.1},
]


def test_list_of_dicts():
    snap = describe(ROWS, DEFAULT, rows=2, chars=2000)
    assert snap.row_count == 3
    canonical = json.dumps(ROWS, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert snap.byte_count == len(canonical)
    assert snap.content_hash == hashlib.sha256(canonical).hexdigest()
    preview = json.loads(snap.preview)
    assert len(preview) == 2 and preview[0]["api_key"] == "[REDACTED]" and preview[1]["api_key"] is None
    assert preview[0]["email"] == "[REDACTED:email]"
    assert snap.redacted_fields == ["email", "api_key"]
    assert "ann@example.com" not in snap.preview


def test_hash_ignores_key_order_but_not_values():
    a = describe({"b": 1, "a": [1, 2]}, DEFAULT)
    b = describe({"a": [1, 2], "b": 1}, DEFAULT)
    c = describe({"a": [1, 2], "b": 2}, DEFAULT)
    assert a.content_hash == b.content_hash != c.content_hash
    assert a.row_count == 1


def test_text_and_bytes():
    text = "line one\nsecond line has password=hunter2\n" + "x" * 5000
    snap = describe(text, DEFAULT, chars=100)
    assert snap.row_count == 3 and snap.byte_count == len(text.encode())
    assert len(snap.preview) <= 100 and "hunter2" not in snap.preview and snap.redacted_fields == ["text"]
    raw = describe(b"\x00\x01\x02binary", DEFAULT)
    assert raw.row_count is None and raw.preview == "<9 bytes, binary>"
    assert raw.content_hash == hashlib.sha256(b"\x00\x01\x02binary").hexdigest()
    utf8 = describe("contact ann@example.com".encode(), DEFAULT)
    assert utf8.preview == "contact [REDACTED:email]" and utf8.redacted_fields == ["bytes"]


def test_arrow_and_polars_hash_the_same_data_the_same_way():
    table = pa.Table.from_pylist(ROWS)
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1)])
    a, b = describe(table, DEFAULT, rows=1), describe(chunked, DEFAULT, rows=1)
    assert a.content_hash == b.content_hash and a.row_count == 3 and a.byte_count > 0
    assert json.loads(a.preview)[0]["api_key"] == "[REDACTED]"
    frame = pl.DataFrame({"id": [1, 2], "token": ["t1", "t2"]})
    snap = describe(frame, DEFAULT)
    assert snap.row_count == 2 and snap.redacted_fields == ["token"]
    assert describe(frame.with_columns(pl.col("id") + 1), DEFAULT).content_hash != snap.content_hash


def test_preview_is_bounded():
    snap = describe([{"text": "word " * 1000}] * 50, DEFAULT, rows=5, chars=300)
    assert len(snap.preview) == 300 and snap.row_count == 50


def test_unsupported_type():
    with pytest.raises(JoblensError, match="unsupported type object"):
        describe(object(), DEFAULT)
