"""What a data snapshot records: row and byte counts, a content hash and a redacted preview.

The hash is SHA-256 of the data's canonical bytes, so equal data hashes equal across
runs: JSON with sorted keys for dicts and lists, UTF-8 for text, the bytes themselves,
and the Arrow IPC stream of the (re-chunked) table for Arrow, Polars and pandas data.
The preview holds at most ``rows`` rows and ``chars`` characters, masked by the
redactor before it is cut, so a secret is never half-shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from pipelines.errors import JoblensError
from pipelines.telemetry.redaction import Redactor


@dataclass(frozen=True)
class Snapshot:
    row_count: int | None
    byte_count: int
    content_hash: str
    preview: str | None
    redacted_fields: list[str]


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _preview_json(value: Any, chars: int) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:chars]


def as_arrow(data: Any) -> pa.Table | None:
    """Arrow, Polars and pandas tables as one Arrow table; None for anything else."""
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data
    module = type(data).__module__.split(".", 1)[0]
    if module == "polars" and hasattr(data, "to_arrow"):
        return data.to_arrow()
    if module == "pandas" and hasattr(data, "columns"):
        return pa.Table.from_pandas(data, preserve_index=False)
    return None


def describe(data: Any, redactor: Redactor, rows: int = 5, chars: int = 2000) -> Snapshot:
    """Counts, hash and bounded redacted preview of ``data``."""
    if isinstance(data, dict):
        preview, hits = redactor.value(data, limit=chars)
        return _snapshot(1, _json_bytes(data), _preview_json(preview, chars), hits)
    if isinstance(data, (list, tuple)):
        preview, hits = redactor.value(list(data[:rows]), limit=chars)
        return _snapshot(len(data), _json_bytes(data), _preview_json(preview, chars), hits)
    if isinstance(data, str):
        preview, masked = redactor.text(data, limit=chars)
        lines = data.count("\n") + (1 if data and not data.endswith("\n") else 0)
        return _snapshot(lines, data.encode(), preview, ["text"] if masked else [])
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if b"\x00" in raw[:1024]:
            return _snapshot(None, raw, f"<{len(raw)} bytes, binary>", [])
        preview, masked = redactor.text(raw[: chars * 4].decode("utf-8", errors="replace"), limit=chars)
        return _snapshot(None, raw, preview, ["bytes"] if masked else [])
    table = as_arrow(data)
    if table is None:
        raise JoblensError(
            f"snapshot of unsupported type {type(data).__name__}: use a dict, list, str, bytes, "
            "Arrow, Polars or pandas table"
        )
    preview, hits = redactor.value(table.slice(0, rows).to_pylist(), limit=chars)
    return _snapshot(table.num_rows, _ipc_bytes(table), _preview_json(preview, chars), hits)


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    combined = table.combine_chunks()
    with pa.ipc.new_stream(sink, combined.schema) as writer:
        writer.write_table(combined)
    return sink.getvalue().to_pybytes()


def _snapshot(row_count: int | None, canonical: bytes, preview: str, hits: list[str]) -> Snapshot:
    return Snapshot(row_count, len(canonical), hashlib.sha256(canonical).hexdigest(), preview, hits)
