"""Synthetic job history for demos and benchmarks, written through the lake writer.

``simulate(lake, days, runs_per_day, seed)`` produces every lake table for the shipped
workflows, knowledge and system jobs: lifecycle rows with queue waits under pool limits,
step attempts with retries, run retries linked by parent and root run, failure bursts
with recurring signatures, a new signature in the last days, a step that slowly gets
slower, model calls priced by the models, snapshots, logs and resource samples.
Columns are built whole (Polars expressions over Arrow's seeded random columns), a
chunk of runs at a time, so a million runs take minutes, not hours. The same seed and
end date give the same rows, ids included.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from pipelines.errors import JoblensError
from pipelines.lake.writer import LakeWriter
from pipelines.models import sim_catalog as cat
from pipelines.models import sim_details as details
from pipelines.models import sim_rows as rows
from pipelines.models.sim_context import Context, build_context
from pipelines.models.sim_plan import arrivals, run_id_expr, schedule_queue
from pipelines.models.sim_random import Draws, pick
from pipelines.models.sim_steps import expand_attempts, plan_steps, run_outcomes

CHUNK_RUNS = 50_000
MAX_RETRY_DEPTH = 2
ACTORS = ["ops-oncall", "mlopez", "akumar", "jchen"]


@dataclass
class SimulationReport:
    """What a simulation wrote."""

    seed: int
    start: datetime
    end: datetime
    runs: int
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    seconds: float = 0.0
    regressed_step: tuple[str, str] = cat.REGRESSED_STEP
    new_error_signature: str = ""
    pool_limits: dict[str, int] = field(default_factory=dict)


def window_for(days: int, end_date: date | None) -> tuple[float, float]:
    """Start and end (epoch seconds): ``end_date`` through midnight, else up to the current hour."""
    if end_date is not None:
        end = datetime(end_date.year, end_date.month, end_date.day, tzinfo=timezone.utc) + timedelta(days=1)
    else:
        end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return end.timestamp() - days * 86400.0, end.timestamp()


def simulate(lake: Path, days: int, runs_per_day: int, seed: int, end_date: date | None = None) -> SimulationReport:
    """Write ``days`` × ``runs_per_day`` simulated runs (plus their retries) into ``lake``'s landing area."""
    if days < 1 or runs_per_day < 1:
        raise JoblensError(f"simulate: days and runs-per-day must be at least 1 (got {days}, {runs_per_day})")
    began = time.perf_counter()
    ctx = build_context(seed, days, runs_per_day, window_for(days, end_date))
    plan = _run_flags(arrivals(seed, days * runs_per_day, ctx.window, ctx.limits.get("knowledge", 1) + 3), seed)
    counts: Counter[str] = Counter()
    files, slots, next_idx, run_ids = 0, {}, plan.height, 0
    writer = LakeWriter(Path(lake))
    for chunk_no, offset in enumerate(range(0, plan.height, CHUNK_RUNS)):
        runs, attempts, next_idx = _plan_chunk(plan.slice(offset, CHUNK_RUNS), ctx, next_idx, chunk_no)
        runs = _timeline(schedule_queue(_queue_inputs(runs, ctx), ctx.limits, slots), ctx)
        for table, frame in _tables(runs, attempts, ctx, chunk_no).items():
            files += len(writer.write(table, frame.to_arrow()))
            counts[table] += frame.height
        run_ids += runs.filter(pl.col("queued_at") < ctx.window.end).height
    return SimulationReport(
        seed=seed, start=datetime.fromtimestamp(ctx.window.start, timezone.utc),
        end=datetime.fromtimestamp(ctx.window.end, timezone.utc), runs=run_ids, rows=dict(counts), files=files,
        seconds=time.perf_counter() - began, new_error_signature=ctx.new_error_signature, pool_limits=ctx.limits,
    )


def _run_flags(plan: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Run-level fates drawn up front: cancelled (queued or mid-run), failed before any step."""
    draws = Draws(seed, "run_flags")
    n = plan.height
    plan = plan.with_columns(draws.uniform("cancel", n).alias("u_cancel"), draws.uniform("cstep", n).alias("u_cstep"),
                             draws.uniform("prep", n).alias("u_prep"))
    backfill = pl.col("trigger") == "backfill"
    n_steps = pl.col("job_id").replace_strict({i: len(j.steps) for i, j in enumerate(cat.JOBS)}, return_dtype=pl.Int32)
    plan = plan.with_columns(
        queue_cancel=(pl.col("u_cancel") < 0.0012) & ~backfill,
        cancel_step=pl.when((pl.col("u_cancel") >= 0.0012) & (pl.col("u_cancel") < 0.003) & ~backfill)
        .then((pl.col("u_cstep") * n_steps).floor().cast(pl.Int32)).otherwise(-1),
        prep_fail=(pl.col("u_prep") < 0.0005) & (pl.col("u_cancel") >= 0.003) & ~backfill,
        depth=pl.lit(0, pl.Int32), parent_idx=pl.lit(None, pl.Int64), root_idx=pl.lit(None, pl.Int64),
        hint=pl.col("arrival"),
        partition=pl.when(backfill).then(rows.ts(pl.col("arrival")).dt.date().cast(pl.String)).otherwise(None),
    )
    return plan.drop("u_cancel", "u_cstep", "u_prep")


def _per_run_draws(runs: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    n = runs.height
    prep = pl.col("job_id").replace_strict({i: j.prep_s for i, j in enumerate(cat.JOBS)}, return_dtype=pl.Float64)
    runs = runs.with_columns(draws.uniform("prep_s", n).alias("u_prep"), draws.uniform("tail", n).alias("u_tail"),
                             draws.uniform("actor", n).alias("u_actor"), draws.uniform("retry", n).alias("u_retry"),
                             draws.uniform("delay", n).alias("u_delay"), draws.uniform("cwait", n).alias("u_cwait"),
                             draws.uniform("dequeue", n).alias("u_dequeue"))
    return runs.with_columns(
        prep_s=prep * (0.5 + pl.col("u_prep")), tail_s=0.1 + 0.4 * pl.col("u_tail"),
        actor=pick(pl.col("u_actor"), [1.0] * len(ACTORS), ACTORS),
        cancel_wait_s=60.0 + 1740.0 * pl.col("u_cwait"),
        dequeue_s=0.3 + 2.5 * pl.col("u_dequeue"),
        child_delay_s=60.0 * (2.0 ** pl.col("depth").cast(pl.Float64)) * (0.5 + pl.col("u_delay")),
    ).drop("u_prep", "u_tail", "u_actor", "u_cwait", "u_delay", "u_dequeue")


def _plan_chunk(originals: pl.DataFrame, ctx: Context, next_idx: int, chunk_no: int):
    """Steps of a chunk of runs, then the retry runs their transient failures cause (and theirs)."""
    levels, attempt_parts, level = [], [], originals
    for depth in range(MAX_RETRY_DEPTH + 1):
        draws = Draws(ctx.seed, "chunk", chunk_no, depth)
        level = _per_run_draws(level, draws)
        planned = plan_steps(level, ctx.steps, ctx.scenarios, ctx.bursts, ctx.window.start, ctx.window.end, draws)
        attempts = expand_attempts(planned, draws)
        level = level.join(run_outcomes(attempts), on="idx", how="left")
        attempt_parts.append(attempts)
        retry_share = 0.8 if depth == 0 else 0.5
        parents = level.filter((pl.col("outcome") == "failed") & pl.col("final_transient")
                               & (pl.col("u_retry") < retry_share) & pl.lit(depth < MAX_RETRY_DEPTH))
        children = parents.select(
            idx=pl.int_range(next_idx, next_idx + parents.height, dtype=pl.Int64), job_id="job_id",
            trigger=pl.lit("retry"), trigger_source=pl.lit("joblens retry policy"), arrival=pl.lit(None, pl.Float64),
            queue_cancel=pl.lit(False), cancel_step=pl.lit(-1, pl.Int32), prep_fail=pl.lit(False),
            depth=pl.lit(depth + 1, pl.Int32), parent_idx="idx", root_idx=pl.coalesce("root_idx", "idx"),
            hint=pl.col("hint") + pl.col("steps_s") + 120.0, partition="partition",
        )
        next_idx += parents.height
        level = level.join(children.select(child_idx="idx", idx="parent_idx"), on="idx", how="left")
        levels.append(level)
        if children.height == 0:
            break
        level = children
    return pl.concat(levels, how="diagonal_relaxed"), pl.concat(attempt_parts, how="diagonal_relaxed"), next_idx


def _queue_inputs(runs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Pool and slot time of each run: preparing, steps and wrap-up (nothing for a run cancelled in the queue)."""
    busy = (pl.when(pl.col("queue_cancel")).then(0.0).when(pl.col("prep_fail")).then(pl.col("prep_s"))
            .otherwise(pl.col("prep_s") + pl.col("steps_s").fill_null(0.0) + pl.col("tail_s")))
    return runs.join(ctx.jobs.select("job_id", "pool"), on="job_id", how="left").with_columns(busy_s=busy)


def _timeline(runs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Absolute lifecycle times, final status and identities of each run."""
    started = pl.col("start").is_not_null()
    runs = runs.with_columns(
        queued_at="arrival",
        preparing_at=pl.col("start"),
        running_at=pl.when(started & ~pl.col("prep_fail")).then(pl.col("start") + pl.col("prep_s")).otherwise(None),
    )
    ended = (pl.when(pl.col("queue_cancel")).then(pl.col("arrival") + pl.col("cancel_wait_s"))
             .when(pl.col("prep_fail")).then(pl.col("start") + pl.col("prep_s"))
             .otherwise(pl.col("running_at") + pl.col("steps_s").fill_null(0.0) + pl.col("tail_s")))
    status = (pl.when(pl.col("queue_cancel")).then(pl.lit("cancelled")).when(pl.col("prep_fail")).then(pl.lit("failed"))
              .otherwise(pl.col("outcome").fill_null("completed")))
    message = (pl.when(pl.col("prep_fail")).then(pl.lit(f"Run failed while preparing: {cat.PREP_SCENARIO.error_class}: "
                                                         f"{cat.PREP_SCENARIO.template}"))
               .otherwise(rows.text("Execution of run for \"{}\" failed. Steps failed: ['{}'].", pl.col("job_name"), pl.col("failed_step"))))
    jobs = ctx.jobs.select("job_id", "job_name", "job_type", "team", "priority")
    runs = runs.join(jobs, on="job_id", how="left").with_columns(ended_at=ended, final_status=status)
    return runs.with_columns(
        failure_message=message,
        run_id=run_id_expr(ctx.seed, pl.col("idx")),
        parent_run_id=pl.when(pl.col("parent_idx").is_not_null()).then(run_id_expr(ctx.seed, pl.col("parent_idx"))),
        root_run_id=pl.when(pl.col("root_idx").is_not_null()).then(run_id_expr(ctx.seed, pl.col("root_idx"))),
    )


def _tables(runs: pl.DataFrame, attempts: pl.DataFrame, ctx: Context, chunk_no: int) -> dict[str, pl.DataFrame]:
    draws = Draws(ctx.seed, "details", chunk_no)
    end = ctx.window.end
    at = rows.absolute_attempts(attempts.join(ctx.jobs.select("job_id", "n_steps", "input_name", "output_name"),
                                              on="job_id", how="left"), runs)
    at = details.with_messages(at, ctx.error_text, draws)
    prep = details.prep_failure_rows(runs, ctx.error_text, ctx.transient, end)
    return {
        "runs": rows.run_rows(runs, end),
        "steps": rows.step_rows(at, end),
        "errors": details.error_rows(at, prep, end),
        "logs": details.log_rows(at, runs, end),
        "model_calls": details.model_call_rows(at, ctx.model_choices, draws, end),
        "snapshots": details.snapshot_rows(at, runs, ctx.seed, draws, end),
        "resource_samples": details.resource_sample_rows(at, draws, end),
    }
