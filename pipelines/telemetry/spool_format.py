"""The spool file format, and turning a spool file into landing Parquet.

Line 1 is a header (format version, the lake the records belong to, pid, host). Then,
in any order, *context* lines (``{"ctx": n, "run_id", "job_name", "step_key",
"attempt"}``), one per step attempt, and record lines (``{"c": n, "t": table, "id",
"ts", ...columns}``) that name their context by number. ``ts`` is epoch seconds.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from pipelines.errors import JoblensError
from pipelines.lake import schema as lake_schema
from pipelines.lake.writer import to_arrow, write_landing

log = logging.getLogger("joblens.telemetry")
SPOOL_VERSION = 1
SUFFIX = ".jsonl"
_COLUMNS = {table: frozenset(lake_schema.schema(table).names) for table in lake_schema.TABLES}

# Built once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def dumps_line(payload: dict) -> bytes:
    return (_ENCODER.encode(payload) + "\n").encode()


def land_spool_file(path: Path, lake: Path | None = None) -> int:
    """Write the records of one spool file to the lake named in its header; rows written."""
    header, contexts, records = read_spool(path)
    target = Path(lake or header["lake"])
    by_table: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        table = record.pop("t", None)
        context = contexts.get(record.pop("c", None))
        if context is None or table not in _COLUMNS:
            log.warning("spool %s: a %s record names no open step or table; skipped", path, table)
            continue
        by_table[table].append(_row(table, context, record))
    count = 0
    for table, rows in by_table.items():
        data = _arrow_rows(path, table, rows)
        write_landing(target, table, data)
        count += data.num_rows
    return count


def _row(table: str, context: dict, record: dict) -> dict:
    row = {k: v for k, v in context.items() if k in _COLUMNS[table]}
    row.update(record)
    row["ts"] = datetime.fromtimestamp(row["ts"], timezone.utc)
    if isinstance(row.get("fields"), dict):  # logs keep their fields as JSON text
        row["fields"] = json.dumps(row["fields"], ensure_ascii=False, default=str)
    for key in ("started_at", "ended_at"):
        if isinstance(row.get(key), (int, float)):
            row[key] = datetime.fromtimestamp(row[key], timezone.utc)
    return row


def _arrow_rows(path: Path, table: str, rows: list[dict]) -> pa.Table:
    """The rows as Arrow; a row the schema refuses is logged and left out, never the rest."""
    try:
        return to_arrow(table, rows)
    except JoblensError:
        good = []
        for row in rows:
            try:
                to_arrow(table, [row])
                good.append(row)
            except JoblensError as exc:
                log.warning("spool %s: %s row %s skipped: %s", path, table, row.get("id"), exc)
        return to_arrow(table, good)


def read_spool(path: Path) -> tuple[dict, dict[int, dict], list[dict]]:
    """Header, step contexts and records of a spool; a torn last line is dropped."""
    header: dict = {}
    contexts: dict[int, dict] = {}
    records: list[dict] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                item = json.loads(raw)
            except ValueError:
                log.warning("spool %s: line %d is incomplete; skipped", path, number)
                continue
            if number == 1:
                header = item
            elif "ctx" in item:
                contexts[item.pop("ctx")] = item
            else:
                records.append(item)
    if header.get("spool") != SPOOL_VERSION or "lake" not in header:
        raise ValueError(f"spool {path}: missing or unknown header")
    return header, contexts, records
