"""``StepTelemetry``: what one step attempt records, a few microseconds per call.

Every call masks secrets, builds one row with an id made now and appends it to the
process spool (one ``write()``); nothing touches Parquet or Dagster's event log on the
way, except that warnings and errors may be mirrored to ``context.log``.
"""

from __future__ import annotations

import logging
import time
import traceback
from random import getrandbits
from dataclasses import dataclass
from numbers import Real
from typing import Any

from pipelines.errors import JoblensError
from pipelines.lake.schema import SNAPSHOT_KINDS
from pipelines.telemetry.redaction import Redactor
from pipelines.telemetry.sampler import process_sampler
from pipelines.telemetry.signature import signature
from pipelines.telemetry.snapshot import describe
from pipelines.telemetry.spool import SpoolWriter
from pipelines.telemetry.taxonomy import ERROR_CODES, Classifier, ErrorCode, qualified_name

log = logging.getLogger("joblens.telemetry")
LEVELS = {"debug": "debug", "info": "info", "warn": "warning", "warning": "warning", "error": "error",
          "critical": "critical", "fatal": "critical"}
OUTCOMES = ("ok", "error", "timeout", "rate_limited")
MAX_TEXT_CHARS = 32_768
SOURCE = "telemetry"


@dataclass(frozen=True)
class Runtime:
    """The resource's resolved settings, shared by the steps it records."""

    writer: SpoolWriter
    redactor: Redactor
    classifier: Classifier
    sample_interval_s: float
    preview_rows: int
    preview_chars: int
    mirror: bool
    land_each_step: bool = True  # False inside Dagster: the run's teardown lands
    land_interval_s: float = 60.0
    land_max_records: int = 50_000

    def land(self) -> int:
        """Land the spool; a failure is logged, never raised: the spool stays for recovery."""
        try:
            return self.writer.land()
        except Exception as exc:  # noqa: BLE001 - telemetry must never fail the job
            log.warning("telemetry: landing the spool failed (%s); recover_spools will land it", exc)
            return 0

    def after_step(self) -> None:
        if self.land_each_step or self.writer.due(self.land_interval_s, self.land_max_records):
            self.land()


class StepTelemetry:
    """Records of one step attempt. Use as a context manager: entering starts the
    CPU/memory sampler, leaving writes the attempt's ``usage`` row and lands what was
    recorded (or leaves it to the end of the run, see ``TelemetryResource``).

    An exception leaving the block is not recorded here: the capture of Dagster's event
    log records the step failure, and a second row would count it twice. ``record_error``
    is for failures the op handles itself (a retried call, a skipped record)."""

    def __init__(self, runtime: Runtime, run_id: str, job_name: str | None, step_key: str, attempt: int = 1,
                 dagster_log: Any = None):
        self._rt = runtime
        self.run_id, self.job_name, self.step_key, self.attempt = run_id, job_name, step_key, attempt
        self._dagster_log = dagster_log if runtime.mirror else None
        self._context: int | None = None
        self._usage = None
        self._last_message = ""

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> "StepTelemetry":
        self._open()
        writer = self._rt.writer
        context = self._context
        self._usage = process_sampler().start(
            self._rt.sample_interval_s, lambda row: self._append("resource_samples", row, context), writer.sync
        )
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def close(self) -> None:
        """Write the usage row, close the step in the spool and land it when due."""
        if self._context is None:
            return
        if self._usage is not None:
            cpu_s, peak_rss_mb = process_sampler().stop(self._usage)
            self._usage = None
            self._append("steps", {"status": "usage", "source": SOURCE, "cpu_s": cpu_s, "peak_rss_mb": peak_rss_mb})
        self._rt.writer.close_context(self._context)
        self._context = None
        self._rt.after_step()

    def _open(self) -> int:
        if self._context is None:
            self._context = self._rt.writer.open_context(self.run_id, self.job_name, self.step_key, self.attempt)
        return self._context

    def _append(self, table: str, row: dict[str, Any], context: int | None = None) -> None:
        # 128 random bits, like a uuid4, without a getrandom() system call per record
        # (Python reseeds ``random`` in a forked child, so processes never share a stream).
        row["id"] = "%032x" % getrandbits(128)
        row["ts"] = time.time()
        self._rt.writer.append(context if context is not None else self._open(), table, row)

    # -- records ---------------------------------------------------------------
    def log(self, level: str, message: str, **fields: Any) -> None:
        """A structured log record; secrets in the message and fields are masked."""
        name = LEVELS.get(str(level).lower())
        if name is None:
            raise JoblensError(f"log level {level!r}: use one of debug, info, warning, error, critical")
        self._log_row("log", name, message, fields)
        if self._dagster_log is not None and name in ("warning", "error", "critical"):
            getattr(self._dagster_log, "warning" if name == "warning" else "error")(self._last_message)

    def debug(self, message: str, **fields: Any) -> None:
        self.log("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("info", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.log("warning", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("error", message, **fields)

    def progress(self, done: float, total: float | None, activity: str = "") -> None:
        """How far the step is: ``done`` of ``total`` units, and what it is doing now."""
        if not isinstance(done, Real) or (total is not None and not isinstance(total, Real)):
            raise JoblensError(f"progress: done={done!r} and total={total!r} must be numbers")
        message = activity or (f"{done}/{total}" if total is not None else f"{done}")
        self._log_row("progress", "info", message, {"done": done, "total": total, "activity": activity})

    def _log_row(self, kind: str, level: str, message: str, fields: dict[str, Any]) -> None:
        redactor = self._rt.redactor
        text, masked = redactor.text(str(message), limit=MAX_TEXT_CHARS)
        clean, hits = redactor.value(fields, limit=MAX_TEXT_CHARS) if fields else ({}, [])
        if masked:
            hits.insert(0, "message")
        self._last_message = text
        self._append("logs", {"kind": kind, "level": level, "message": text, "fields": clean or None,
                              "redacted_fields": hits, "source": SOURCE})

    def model_call(self, provider: str, model: str, operation: str, input_tokens: int, output_tokens: int,
                   cached_input_tokens: int = 0, latency_ms: float | None = None, outcome: str = "ok",
                   error_code: str | None = None) -> None:
        """One AI model call's usage (priced later against the price table, never here)."""
        for name, value in (("provider", provider), ("model", model), ("operation", operation)):
            if not isinstance(value, str) or not value:
                raise JoblensError(f"model_call {name}={value!r}: must be a non-empty string")
        if outcome not in OUTCOMES:
            raise JoblensError(f"model_call outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
        if error_code is not None and error_code not in ERROR_CODES:
            raise JoblensError(f"model_call error_code {error_code!r} is not a JobLens error code")
        for name, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens),
                            ("cached_input_tokens", cached_input_tokens)):
            if not isinstance(value, int) or value < 0:
                raise JoblensError(f"model_call {name}={value!r}: must be a whole number >= 0")
        self._append("model_calls", {
            "provider": provider, "model": model, "operation": operation, "input_tokens": input_tokens,
            "cached_input_tokens": cached_input_tokens, "output_tokens": output_tokens,
            "latency_ms": None if latency_ms is None else float(latency_ms), "outcome": outcome,
            "error_code": error_code,
        })

    def snapshot(self, kind: str, name: str, data: Any) -> None:
        """Rows, bytes, content hash and a bounded, redacted preview of data seen by the step."""
        if kind not in SNAPSHOT_KINDS:
            raise JoblensError(f"snapshot kind {kind!r}: use one of {', '.join(SNAPSHOT_KINDS)}")
        snap = describe(data, self._rt.redactor, self._rt.preview_rows, self._rt.preview_chars)
        self._append("snapshots", {
            "kind": kind, "name": str(name), "row_count": snap.row_count, "byte_count": snap.byte_count,
            "content_hash": snap.content_hash, "preview": snap.preview, "redacted_fields": snap.redacted_fields,
        })

    def record_error(self, exc: BaseException) -> ErrorCode:
        """Classify, fingerprint and record a failure; returns its error code."""
        code = self._rt.classifier.classify_exception(exc)
        error_class = qualified_name(type(exc))
        redactor = self._rt.redactor
        message, message_masked = redactor.text(str(exc), limit=MAX_TEXT_CHARS)
        trace, trace_masked = redactor.text("".join(traceback.format_exception(exc)))
        hits = [name for name, hit in (("message", message_masked), ("stack_trace", trace_masked)) if hit]
        self._append("errors", {
            "error_class": error_class, "error_code": code.code, "transient": code.transient, "message": message,
            "stack_trace": trace, "signature": signature(error_class, message, trace), "redacted_fields": hits,
            "source": SOURCE,
        })
        self._rt.writer.sync()  # a safe point: the process may be about to die
        if self._dagster_log is not None:
            self._dagster_log.error(f"{error_class} [{code.code}]: {message}")
        return code
