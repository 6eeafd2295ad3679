"""Step attempts of the simulated runs: durations, failures, step retries and the fate of each run.

A step fails with its own small probability, much more often inside a failure burst.
A transient failure (per the error taxonomy) is retried after a growing wait, up to
three attempts; a non-transient one fails the step at once. The first step that
finally fails fails the run and the steps after it are skipped, as Dagster does.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.models import sim_catalog as cat
from pipelines.models.sim_random import Draws, pick

MAX_ATTEMPTS = 3
NEW_ERROR_DAYS = 2.0  # the new signature appears this many days before the end


@dataclass(frozen=True)
class Burst:
    """A window in which one recurring failure hits every matching step hard."""

    start: float
    end: float
    scenario: int  # index into ALL_SCENARIOS
    kinds: tuple[str, ...]
    job_name: str = ""  # "" hits every job


def scenario_frame(transient_by_code: dict[str, bool]) -> pl.DataFrame:
    return pl.DataFrame({
        "scn": list(range(len(cat.ALL_SCENARIOS))),
        "code": [s.code for s in cat.ALL_SCENARIOS],
        "transient": [transient_by_code[s.code] for s in cat.ALL_SCENARIOS],
    }, schema_overrides={"scn": pl.Int32})


def _scenario_choice(u: pl.Expr) -> pl.Expr:
    """A usual scenario for the step's kind and job type, by weight (null: the step cannot fail)."""
    expr = pl.lit(None, dtype=pl.Int32)
    for kind in ("http", "llm", "embed", "validate", "transform", "io"):
        for job_type in ("workflow", "knowledge", "system"):
            options = [(i, s.weight) for i, s in enumerate(cat.SCENARIOS) if kind in s.kinds and job_type in s.job_types]
            if not options:
                continue
            chosen = pick(u, [w for _, w in options], [i for i, _ in options]).cast(pl.Int32)
            expr = pl.when((pl.col("kind") == kind) & (pl.col("job_type") == job_type)).then(chosen).otherwise(expr)
    return expr


def plan_steps(runs: pl.DataFrame, steps: pl.DataFrame, scenarios: pl.DataFrame, bursts: list[Burst],
               window_start: float, window_end: float, draws: Draws) -> pl.DataFrame:
    """One row per (run, step) with whether and how it fails, for runs that execute steps."""
    rs = runs.filter(~pl.col("queue_cancel") & ~pl.col("prep_fail")).select(
        "idx", "job_id", "hint", "depth", "cancel_step").join(steps, on="job_id").sort("idx", "step_idx")
    n = rs.height
    rs = rs.with_columns(draws.uniform("fail", n).alias("u_fail"), draws.uniform("scn", n).alias("u_scn"),
                         draws.uniform("nfail", n).alias("u_nfail"), draws.normal("dur", n).alias("z_dur"))
    span = window_end - window_start
    frac = ((pl.col("hint") - window_start) / span).clip(0.0, 1.0)
    rs = rs.with_columns(
        p=pl.col("fail_p") * pl.when(pl.col("depth") > 0).then(0.7).otherwise(1.0),
        scn=_scenario_choice(pl.col("u_scn")),
        burst=pl.lit(False),
        regression=pl.when(pl.col("regressed")).then(1.0 + 0.9 * ((frac - 0.66) / 0.34).clip(0.0, 1.0)).otherwise(1.0),
    )
    for b in bursts:
        hit = pl.col("hint").is_between(b.start, b.end, closed="left") & pl.col("kind").is_in(list(b.kinds))
        if b.job_name:
            hit = hit & (pl.col("job_name") == b.job_name)
        rs = rs.with_columns(p=pl.when(hit).then(0.6).otherwise("p"),
                             scn=pl.when(hit).then(pl.lit(b.scenario, pl.Int32)).otherwise("scn"),
                             burst=pl.col("burst") | hit)
    new_scn = cat.ALL_SCENARIOS.index(cat.NEW_SCENARIO)
    fresh = pl.col("new_error_step") & (pl.col("hint") >= window_end - NEW_ERROR_DAYS * 86400)
    rs = rs.with_columns(p=pl.when(fresh).then(0.2).otherwise("p"),
                         scn=pl.when(fresh).then(pl.lit(new_scn, pl.Int32)).otherwise("scn"))
    rs = rs.join(scenarios, on="scn", how="left").with_columns(
        failed=(pl.col("u_fail") < pl.col("p")) & pl.col("scn").is_not_null())
    exhaust_at = pl.when(pl.col("burst")).then(0.5).otherwise(0.78)
    n_failed = (pl.when(~pl.col("failed")).then(0)
                .when(~pl.col("transient")).then(1)
                .when(pl.col("u_nfail") < 0.6).then(1)
                .when(pl.col("u_nfail") < exhaust_at).then(2)
                .otherwise(MAX_ATTEMPTS))
    rs = rs.with_columns(n_failed=n_failed.cast(pl.Int32))
    rs = rs.with_columns(final_fail=pl.col("failed") & (~pl.col("transient") | (pl.col("n_failed") >= MAX_ATTEMPTS)))
    return _resolve_runs(rs)


def _resolve_runs(rs: pl.DataFrame) -> pl.DataFrame:
    """Apply each run's first final failure or its cancellation to its steps."""
    fail_at = pl.when(pl.col("final_fail")).then(pl.col("step_idx")).min().over("idx")
    rs = rs.with_columns(fail_at=fail_at)
    cancel_at = pl.when((pl.col("cancel_step") >= 0) & (pl.col("fail_at").is_null() | (pl.col("cancel_step") <= pl.col("fail_at"))))
    rs = rs.with_columns(cancel_at=cancel_at.then(pl.col("cancel_step")).otherwise(None))
    disposition = (pl.when(pl.col("cancel_at").is_not_null() & (pl.col("step_idx") > pl.col("cancel_at"))).then(pl.lit("dropped"))
                   .when(pl.col("cancel_at").is_not_null() & (pl.col("step_idx") == pl.col("cancel_at"))).then(pl.lit("cancelled"))
                   .when(pl.col("fail_at").is_not_null() & (pl.col("step_idx") > pl.col("fail_at"))).then(pl.lit("skipped"))
                   .otherwise(pl.lit("ran")))
    rs = rs.with_columns(disposition=disposition).filter(pl.col("disposition") != "dropped")
    n_attempts = (pl.when(pl.col("disposition") != "ran").then(1)
                  .when(pl.col("final_fail")).then(pl.col("n_failed"))
                  .otherwise(pl.col("n_failed") + 1))
    return rs.with_columns(n_attempts=n_attempts.cast(pl.Int32))


def expand_attempts(rs: pl.DataFrame, draws: Draws) -> pl.DataFrame:
    """One row per step attempt, with status, duration, wait and offsets from the run's start."""
    at = rs.with_columns(attempt=pl.int_ranges(1, pl.col("n_attempts") + 1, dtype=pl.Int32)).explode("attempt")
    n = at.height
    at = at.with_columns(draws.uniform("att", n).alias("u_att"), draws.uniform("gap", n).alias("u_gap"),
                         draws.normal("rss", n).alias("z_rss"))
    last = pl.col("attempt") == pl.col("n_attempts")
    status = (pl.when(pl.col("disposition") != "ran").then(pl.col("disposition"))
              .when(~last).then(pl.lit("up_for_retry"))
              .when(pl.col("final_fail")).then(pl.lit("failed"))
              .otherwise(pl.lit("completed")))
    at = at.with_columns(status=status)
    base = pl.col("median_s") * (pl.col("sigma") * pl.col("z_dur")).exp() * pl.col("regression")
    failed_dur = (pl.when(pl.col("code") == "timeout").then(30.0 + pl.col("u_att") * 0.3)
                  .when(pl.col("code") == "rate_limit").then(0.2 + pl.col("u_att"))
                  .otherwise(base * (0.2 + 0.8 * pl.col("u_att"))))
    dur = (pl.when(pl.col("status") == "completed").then(base * (0.9 + 0.2 * pl.col("u_att")))
           .when(pl.col("status").is_in(["failed", "up_for_retry"])).then(failed_dur)
           .when(pl.col("status") == "cancelled").then(base * pl.col("u_att"))
           .otherwise(0.0))
    wait = pl.when(pl.col("attempt") > 1).then(
        (5.0 * (2.0 ** (pl.col("attempt") - 2).cast(pl.Float64)) * (0.75 + 0.5 * pl.col("u_gap"))).clip(0.0, 120.0)
    ).otherwise(None)
    gap = pl.when(pl.col("status") == "skipped").then(0.0).otherwise(0.02 + 0.25 * pl.col("u_gap"))
    at = at.with_columns(dur=dur, wait_before=wait, gap=gap)
    at = at.with_columns(end_off=(pl.col("gap") + pl.col("wait_before").fill_null(0.0) + pl.col("dur")).cum_sum().over("idx"))
    at = at.with_columns(
        start_off=pl.col("end_off") - pl.col("dur"),
        cpu_s=pl.col("dur") * pl.col("cpu_share") * (0.8 + 0.4 * pl.col("u_att")),
        peak_rss_mb=pl.col("rss_mb") * (0.15 * pl.col("z_rss")).exp(),
        error_code=pl.when(pl.col("status").is_in(["failed", "up_for_retry"])).then(pl.col("code"))
        .when(pl.col("status") == "cancelled").then(pl.lit("cancelled")).otherwise(None),
    )
    return at.drop("u_fail", "u_scn", "u_nfail", "u_gap", "z_rss", "p", "fail_p", "sigma", "median_s")


def run_outcomes(attempts: pl.DataFrame) -> pl.DataFrame:
    """Per run: time spent in steps, final status, and the error that ended it."""
    closing = attempts.filter(pl.col("status").is_in(["failed", "cancelled"]))
    steps_total = attempts.group_by("idx").agg(steps_s=pl.col("end_off").max())
    ended = closing.group_by("idx").agg(
        outcome=pl.col("status").first(), final_code=pl.col("code").first(),
        final_transient=pl.col("transient").first(), failed_step=pl.col("step_key").first())
    return steps_total.join(ended, on="idx", how="left")
