"""Versioned Arrow schemas of the lake tables: the one place that defines the record.

Every table carries the same leading columns:

- ``id``: a stable unique row id. A replay of the same event produces the same id,
  so readers and compaction de-duplicate on it.
- ``run_id``: the Dagster run the row belongs to.
- ``ts``: event time, UTC, microseconds. The ``date=YYYY-MM-DD`` partition is its UTC date.
- ``schema_version``: the version of this table's schema the row was written with.

Model calls follow the OpenTelemetry GenAI semantic conventions, snake-cased:
``provider`` = ``gen_ai.system``, ``model`` = ``gen_ai.request.model``,
``operation`` = ``gen_ai.operation.name``, ``input_tokens`` / ``output_tokens`` =
``gen_ai.usage.input_tokens`` / ``gen_ai.usage.output_tokens``. Cost is not stored:
the models price usage against the versioned price table at query time.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.errors import JoblensError

TS = pa.timestamp("us", tz="UTC")

_COMMON = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("ts", TS, nullable=False),
    pa.field("schema_version", pa.int16(), nullable=False),
]

# Lifecycle states of a run, in order. Dagster's STARTING is "preparing",
# STARTED is "running", SUCCESS "completed", CANCELING/CANCELED "cancelled".
RUN_STATUSES = ("queued", "preparing", "running", "completed", "failed", "cancelled")
TERMINAL_RUN_STATUSES = ("completed", "failed", "cancelled")
JOB_TYPES = ("workflow", "knowledge", "system", "unknown")
TRIGGERS = ("schedule", "sensor", "backfill", "manual", "retry", "webhook")
# Step rows: "started" opens an attempt, a terminal status closes it, "usage" carries
# the CPU and memory the telemetry resource measured for that attempt.
STEP_STATUSES = ("started", "completed", "failed", "up_for_retry", "skipped", "cancelled", "usage")
LOG_KINDS = ("log", "progress", "control")
SNAPSHOT_KINDS = ("input", "intermediate", "output")

_TABLES: dict[str, tuple[int, list[pa.Field]]] = {
    "runs": (
        1,
        [
            pa.field("status", pa.string(), nullable=False),
            pa.field("dagster_event", pa.string()),
            pa.field("job_name", pa.string()),
            pa.field("job_type", pa.string()),
            pa.field("team", pa.string()),
            pa.field("trigger", pa.string()),
            pa.field("trigger_source", pa.string()),
            pa.field("priority", pa.int32()),
            pa.field("parent_run_id", pa.string()),
            pa.field("root_run_id", pa.string()),
            pa.field("partition", pa.string()),
            pa.field("code_location", pa.string()),
            pa.field("tags", pa.string()),  # JSON object of every Dagster tag
            pa.field("message", pa.string()),
        ],
    ),
    "steps": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string(), nullable=False),
            pa.field("attempt", pa.int32(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("started_at", TS),
            pa.field("ended_at", TS),
            pa.field("duration_s", pa.float64()),
            pa.field("wait_before_s", pa.float64()),
            pa.field("cpu_s", pa.float64()),
            pa.field("peak_rss_mb", pa.float64()),
            pa.field("error_code", pa.string()),
            pa.field("source", pa.string()),  # "dagster" (event log) or "telemetry" (in-op)
        ],
    ),
    "logs": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string()),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("level", pa.string(), nullable=False),
            pa.field("message", pa.string()),
            pa.field("fields", pa.string()),  # JSON object
            pa.field("redacted_fields", pa.list_(pa.string())),
            pa.field("source", pa.string()),
        ],
    ),
    "errors": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string()),  # null for a run-level failure
            pa.field("attempt", pa.int32()),
            pa.field("error_class", pa.string()),
            pa.field("error_code", pa.string(), nullable=False),
            pa.field("transient", pa.bool_()),
            pa.field("message", pa.string()),
            pa.field("stack_trace", pa.string()),
            pa.field("signature", pa.string()),
            pa.field("redacted_fields", pa.list_(pa.string())),
            pa.field("source", pa.string()),
        ],
    ),
    "model_calls": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string()),
            pa.field("provider", pa.string(), nullable=False),
            pa.field("model", pa.string(), nullable=False),
            pa.field("operation", pa.string()),
            pa.field("input_tokens", pa.int64()),
            pa.field("cached_input_tokens", pa.int64()),
            pa.field("output_tokens", pa.int64()),
            pa.field("latency_ms", pa.float64()),
            pa.field("outcome", pa.string()),  # ok, error, timeout, rate_limited
            pa.field("error_code", pa.string()),
        ],
    ),
    "snapshots": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string()),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("row_count", pa.int64()),
            pa.field("byte_count", pa.int64()),
            pa.field("content_hash", pa.string()),
            pa.field("preview", pa.string()),  # bounded JSON, secrets masked
            pa.field("redacted_fields", pa.list_(pa.string())),
        ],
    ),
    "resource_samples": (
        1,
        [
            pa.field("job_name", pa.string()),
            pa.field("step_key", pa.string()),
            pa.field("pid", pa.int32()),
            pa.field("cpu_percent", pa.float64()),
            pa.field("cpu_s", pa.float64()),
            pa.field("rss_mb", pa.float64()),
        ],
    ),
}

TABLES: tuple[str, ...] = tuple(_TABLES)
SCHEMA_VERSION_KEY = b"joblens.schema_version"
TABLE_KEY = b"joblens.table"


class UnknownTableError(JoblensError):
    pass


def schema_version(table: str) -> int:
    return _spec(table)[0]


def schema(table: str) -> pa.Schema:
    """The Arrow schema of ``table`` at its current version, with version metadata."""
    version, fields = _spec(table)
    return pa.schema(
        _COMMON + fields,
        metadata={SCHEMA_VERSION_KEY: str(version).encode(), TABLE_KEY: table.encode()},
    )


def supported_versions(table: str) -> frozenset[int]:
    """Schema versions a reader of ``table`` accepts (older ones are read by name)."""
    return frozenset(range(1, schema_version(table) + 1))


def _spec(table: str) -> tuple[int, list[pa.Field]]:
    try:
        return _TABLES[table]
    except KeyError:
        raise UnknownTableError(
            f"unknown lake table {table!r}; tables are: {', '.join(_TABLES)}"
        ) from None
