"""Lake rows of the simulated runs: lifecycle transitions and step attempts.

Everything is cut at the end of the history: a run whose end lies beyond it keeps only
the transitions that already happened, and a step attempt in flight is an open
``started`` row, exactly what a live capture would hold at that moment.
"""

from __future__ import annotations

import polars as pl

DAGSTER_EVENTS = {
    "queued": "RUN_ENQUEUED",
    "preparing": "RUN_STARTING",
    "running": "RUN_START",
    "completed": "RUN_SUCCESS",
    "failed": "RUN_FAILURE",
    "cancelled": "RUN_CANCELED",
}
CODE_LOCATION = "joblens"


def ts(seconds: pl.Expr) -> pl.Expr:
    """Epoch seconds (float) → UTC timestamp in microseconds."""
    return (seconds * 1_000_000).round(0).cast(pl.Int64).cast(pl.Datetime("us", "UTC"))


def text(template: str, *values: pl.Expr) -> pl.Expr:
    """``template`` with each ``{}`` replaced by the next value (braces elsewhere are literal, e.g. JSON)."""
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"template {template!r} takes {len(pieces) - 1} values")
    parts: list[pl.Expr] = [pl.lit(pieces[0])]
    for value, piece in zip(values, pieces[1:]):
        parts += [value.cast(pl.String), pl.lit(piece)]
    return pl.concat_str(parts)


def row_id(*parts: pl.Expr | str) -> pl.Expr:
    return pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts], separator=":")


def run_rows(runs: pl.DataFrame, end: float) -> pl.DataFrame:
    """One row per lifecycle transition that happened before ``end``."""
    phases = [
        runs.with_columns(status=pl.lit("queued"), at=pl.col("queued_at")),
        runs.filter(pl.col("preparing_at").is_not_null()).with_columns(status=pl.lit("preparing"), at=pl.col("preparing_at")),
        runs.filter(pl.col("running_at").is_not_null()).with_columns(status=pl.lit("running"), at=pl.col("running_at")),
        runs.with_columns(status=pl.col("final_status"), at=pl.col("ended_at")),
    ]
    rows = pl.concat(phases, how="vertical").filter(pl.col("at").is_not_null() & (pl.col("at") < end))
    tags = pl.concat_str([
        pl.lit('{"joblens/job_type": "'), pl.col("job_type"), pl.lit('", "joblens/team": "'), pl.col("team"),
        pl.lit('", "dagster/priority": "'), pl.col("priority").cast(pl.String),
        pl.lit('", "joblens/trigger": "'), pl.col("trigger"), pl.lit('"}'),
    ])
    message = (pl.when(pl.col("status") == "failed").then(pl.col("failure_message"))
               .when(pl.col("status") == "cancelled").then(pl.lit("run cancelled by ") + pl.col("actor"))
               .otherwise(None))
    return rows.select(
        id=row_id(pl.col("run_id"), "run", pl.col("status")),
        run_id="run_id", ts=ts(pl.col("at")), status="status",
        dagster_event=pl.col("status").replace_strict(DAGSTER_EVENTS, return_dtype=pl.String),
        job_name="job_name", job_type="job_type", team="team", trigger="trigger", trigger_source="trigger_source",
        priority="priority", parent_run_id="parent_run_id", root_run_id="root_run_id", partition="partition",
        code_location=pl.lit(CODE_LOCATION), tags=tags, message=message,
    )


def absolute_attempts(attempts: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """Attempts with their run's ids and absolute start and end (epoch seconds)."""
    keyed = runs.select("idx", "run_id", "job_name", "running_at", "actor")
    at = attempts.join(keyed, on="idx", how="inner").filter(pl.col("running_at").is_not_null())
    return at.with_columns(t_start=pl.col("running_at") + pl.col("start_off"),
                           t_end=pl.col("running_at") + pl.col("end_off"))


def step_rows(at: pl.DataFrame, end: float) -> pl.DataFrame:
    """Closed attempts (dagster) with their usage rows (telemetry); open attempts as ``started`` rows."""
    closed = at.filter(pl.col("t_end") < end)
    common = dict(run_id="run_id", job_name="job_name", step_key="step_key", attempt="attempt")
    finished = closed.select(
        id=row_id(pl.col("run_id"), pl.col("step_key"), pl.col("attempt").cast(pl.String), pl.col("status")),
        ts=ts(pl.col("t_end")), status="status", **common,
        started_at=ts(pl.col("t_start")), ended_at=ts(pl.col("t_end")), duration_s="dur",
        wait_before_s="wait_before", error_code="error_code", source=pl.lit("dagster"),
    )
    usage = closed.filter(pl.col("status") != "skipped").select(
        id=row_id(pl.col("run_id"), pl.col("step_key"), pl.col("attempt").cast(pl.String), "usage"),
        ts=ts(pl.col("t_end")), status=pl.lit("usage"), **common,
        started_at=ts(pl.col("t_start")), ended_at=ts(pl.col("t_end")),
        cpu_s="cpu_s", peak_rss_mb="peak_rss_mb", source=pl.lit("telemetry"),
    )
    running = at.filter((pl.col("t_start") < end) & (pl.col("t_end") >= end) & (pl.col("status") != "skipped")).select(
        id=row_id(pl.col("run_id"), pl.col("step_key"), pl.col("attempt").cast(pl.String), "started"),
        ts=ts(pl.col("t_start")), status=pl.lit("started"), **common,
        started_at=ts(pl.col("t_start")), wait_before_s="wait_before", source=pl.lit("dagster"),
    )
    return pl.concat([finished, usage, running], how="diagonal_relaxed")
