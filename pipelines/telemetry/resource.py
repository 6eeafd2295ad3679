"""The ``telemetry`` resource: structured telemetry recorded from inside ops.

    @dg.op
    def embed_documents(context, telemetry: TelemetryResource):
        with telemetry.step(context) as t:
            t.info("embedding", documents=len(docs))
            t.model_call("openai", "text-embedding-3-small", "embeddings", input_tokens=5120, output_tokens=0)
            t.snapshot("output", "vectors", table)

Records go to a per-process spool (see ``spool.py``), a few microseconds each, and stay
out of Dagster's event log. They become landing Parquet when the run's resources are torn
down (end of the run in-process; end of the step process with the multiprocess executor),
when a step ends after ``land_interval_s`` or ``land_max_records`` since the last landing,
at every step end with ``land_every_step``, or at step end when the resource is used
outside Dagster. Publishing a Parquet file costs a few milliseconds, so landing once per
run rather than once per table per step is what keeps the telemetry under 2% of a step's
own cost. A process that dies first leaves its spool to ``recover_spools``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from pipelines.errors import JoblensError
from pipelines.home import resolve_home
from pipelines.telemetry.redaction import Redactor
from pipelines.telemetry.spool import RecoveryReport, default_spool_dir, recover_spools, spool_writer
from pipelines.telemetry.step import Runtime, StepTelemetry
from pipelines.telemetry.taxonomy import RULES_ENV, Classifier, default_classifier


class TelemetryResource(dg.ConfigurableResource):
    """Structured logs, AI model calls, data snapshots, progress and CPU/memory of each step, recorded to the JobLens lake."""

    lake_dir: Optional[str] = Field(default=None, description="Lake folder; default JOBLENS_HOME/lake, read at run time.")
    spool_dir: Optional[str] = Field(default=None, description="Spool folder; default JOBLENS_HOME/state/spool.")
    sample_interval_s: float = Field(default=1.0, description="Seconds between resource_samples rows of a running step.")
    preview_rows: int = Field(default=5, description="Rows kept in a snapshot preview.")
    preview_chars: int = Field(default=2000, description="Characters kept in a snapshot preview.")
    redact_patterns: list[str] = Field(default_factory=list, description="Extra regexes whose matches are masked.")
    redact_keys: list[str] = Field(default_factory=list, description="Extra field names whose values are masked.")
    error_rules: Optional[str] = Field(default=None, description=f"YAML classification rules; default ${RULES_ENV}.")
    mirror_to_dagster_log: bool = Field(default=True, description="Also send warnings and errors to context.log.")
    land_every_step: bool = Field(default=False, description="Write landing Parquet at every step end.")
    land_interval_s: float = Field(default=60.0, description="Land at step end when the spool is older than this.")
    land_max_records: int = Field(default=50_000, description="Land at step end when the spool holds this many records.")

    _runtime: Optional[Runtime] = PrivateAttr(default=None)
    _managed: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._managed = True  # Dagster will call teardown_after_execution: land then
        self._runtime = None
        self.runtime()  # bad config fails the run before any op starts

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.flush()

    # -- public API ------------------------------------------------------------
    def step(self, context: Any) -> StepTelemetry:
        """The recorder of the op's current step attempt (use as ``with telemetry.step(context) as t``)."""
        op_context = getattr(context, "op_execution_context", context)
        step_key = op_context.get_step_execution_context().step.key
        return self._recorder(
            context.run_id, context.job_name, step_key, op_context.retry_number + 1, dagster_log=context.log
        )

    def recorder(self, run_id: str, job_name: Optional[str], step_key: str, attempt: int = 1) -> StepTelemetry:
        """The same recorder outside Dagster (scripts, tests)."""
        return self._recorder(run_id, job_name, step_key, attempt)

    def flush(self) -> int:
        """Land everything this process has spooled for this lake; the rows landed."""
        return self.runtime().land()

    def recover(self) -> RecoveryReport:
        """Land spools left by dead processes (same as ``recover_spools``)."""
        return recover_spools(spool_dir=self.spool_path())

    def lake_path(self) -> Path:
        return Path(self.lake_dir).expanduser().absolute() if self.lake_dir else resolve_home().lake

    def spool_path(self) -> Path:
        return Path(self.spool_dir).expanduser().absolute() if self.spool_dir else default_spool_dir(resolve_home())

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = self._build_runtime()
        return self._runtime

    # -- internals -------------------------------------------------------------
    def _recorder(self, run_id: str, job_name: Optional[str], step_key: str, attempt: int,
                  dagster_log: Any = None) -> StepTelemetry:
        return StepTelemetry(self.runtime(), run_id, job_name, step_key, attempt, dagster_log)

    def _build_runtime(self) -> Runtime:
        for name in ("sample_interval_s", "land_interval_s"):
            if not getattr(self, name) > 0:
                raise JoblensError(f"telemetry resource: {name}={getattr(self, name)!r} must be > 0")
        for name in ("preview_rows", "preview_chars", "land_max_records"):
            if getattr(self, name) < 1:
                raise JoblensError(f"telemetry resource: {name}={getattr(self, name)!r} must be >= 1")
        classifier = Classifier.from_file(self.error_rules) if self.error_rules else default_classifier()
        return Runtime(
            writer=spool_writer(self.spool_path(), self.lake_path()),
            redactor=Redactor(tuple(self.redact_patterns), tuple(self.redact_keys)),
            classifier=classifier,
            sample_interval_s=self.sample_interval_s,
            preview_rows=self.preview_rows,
            preview_chars=self.preview_chars,
            mirror=self.mirror_to_dagster_log,
            land_each_step=self.land_every_step or not self._managed,
            land_interval_s=self.land_interval_s,
            land_max_records=self.land_max_records,
        )


__all__ = ["StepTelemetry", "TelemetryResource", "recover_spools"]
