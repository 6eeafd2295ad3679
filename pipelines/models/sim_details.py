"""What simulated steps record from inside: errors, logs, model calls, snapshots, resource samples."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from pipelines.models import sim_catalog as cat
from pipelines.models.sim_random import Draws, pick
from pipelines.models.sim_rows import row_id, text, ts

FAILED = ["failed", "up_for_retry"]
_REDACTED_STEPS = ["support_ticket_triage__normalize", "lead_enrichment__normalize"]


@dataclass(frozen=True)
class ErrorText:
    """Per scenario: class, message template, stack trace head and signature."""

    frame: pl.DataFrame  # scn, error_class, template, trace_head, signature


def error_text(signature_fn) -> ErrorText:
    rows = []
    for i, s in enumerate(cat.ALL_SCENARIOS):
        path, func = s.frame.split(":")
        head = ("Traceback (most recent call last):\n"
                '  File "/srv/joblens/pipelines/jobs/executor.py", line 118, in execute_step\n'
                "    result = step.run(context, inputs)\n"
                f'  File "/srv/joblens/{path}", line {40 + 7 * i}, in {func}\n'
                f"    return _call(request)\n")
        sample = s.template.replace("{n}", "4711").replace("{m}", "120")
        sig = signature_fn(s.error_class, sample, head + f"{s.error_class}: {sample}")
        rows.append({"scn": i, "error_class": s.error_class, "template": s.template, "trace_head": head, "signature": sig})
    return ErrorText(pl.DataFrame(rows, schema_overrides={"scn": pl.Int32}))


def _message(draws: Draws, n: int) -> pl.Expr:
    return (pl.col("template")
            .str.replace("{n}", draws.integers("msg_n", n, 1000, 999_999).cast(pl.String), literal=True)
            .str.replace("{m}", draws.integers("msg_m", n, 100, 20_000).cast(pl.String), literal=True))


def with_messages(at: pl.DataFrame, text: ErrorText, draws: Draws) -> pl.DataFrame:
    """Failed attempts get the error class and a concrete message of their scenario."""
    at = at.join(text.frame, on="scn", how="left")
    return at.with_columns(message=pl.when(pl.col("status").is_in(FAILED)).then(_message(draws, at.height)).otherwise(None))


def error_rows(at: pl.DataFrame, prep_failures: pl.DataFrame, end: float) -> pl.DataFrame:
    """One row per failed attempt, plus run-level failures before any step ran."""
    failed = at.filter(pl.col("status").is_in(FAILED) & (pl.col("t_end") < end)).select(
        id=row_id(pl.col("run_id"), "error", pl.col("step_key"), pl.col("attempt").cast(pl.String)),
        run_id="run_id", ts=ts(pl.col("t_end")), job_name="job_name", step_key="step_key", attempt="attempt",
        error_class="error_class", error_code="code", transient="transient", message="message",
        stack_trace=pl.concat_str([pl.col("trace_head"), pl.col("error_class"), pl.lit(": "), pl.col("message")]),
        signature="signature", redacted_fields=pl.lit([], dtype=pl.List(pl.String)), source=pl.lit("dagster"),
    )
    return pl.concat([failed, prep_failures], how="diagonal_relaxed")


def prep_failure_rows(runs: pl.DataFrame, text: ErrorText, transient: dict[str, bool], end: float) -> pl.DataFrame:
    scn = cat.ALL_SCENARIOS.index(cat.PREP_SCENARIO)
    info = text.frame.row(scn, named=True)
    message = cat.PREP_SCENARIO.template
    return runs.filter(pl.col("prep_fail") & pl.col("ended_at").is_not_null() & (pl.col("ended_at") < end)).select(
        id=row_id(pl.col("run_id"), "error", "run"), run_id="run_id", ts=ts(pl.col("ended_at")), job_name="job_name",
        error_class=pl.lit(info["error_class"]), error_code=pl.lit(cat.PREP_SCENARIO.code),
        transient=pl.lit(transient[cat.PREP_SCENARIO.code]), message=pl.lit(message),
        stack_trace=pl.lit(info["trace_head"] + f"{info['error_class']}: {message}"), signature=pl.lit(info["signature"]),
        redacted_fields=pl.lit([], dtype=pl.List(pl.String)), source=pl.lit("dagster"),
    )


def log_rows(at: pl.DataFrame, runs: pl.DataFrame, end: float) -> pl.DataFrame:
    """A closing log per attempt, progress for long steps, control records for cancellations."""
    closed = at.filter((pl.col("status") != "skipped") & (pl.col("t_end") < end))
    level = pl.col("status").replace_strict({"completed": "info", "up_for_retry": "warning", "failed": "error", "cancelled": "warning"})
    message = (pl.when(pl.col("status") == "completed").then(text("completed {} in {}s", pl.col("step_key"), pl.col("dur").round(2)))
               .when(pl.col("status") == "up_for_retry").then(text("{}: {}; retrying", pl.col("error_class"), pl.col("message")))
               .when(pl.col("status") == "failed").then(text("step failed: {}: {}", pl.col("error_class"), pl.col("message")))
               .otherwise(pl.lit("step cancelled")))
    redact = (pl.col("status") == "completed") & pl.col("step_key").is_in(_REDACTED_STEPS)
    fields = (pl.when(pl.col("status") == "completed")
              .then(text('{"attempt": {}, "duration_s": {}{}}', pl.col("attempt"), pl.col("dur").round(3),
                              pl.when(redact).then(pl.lit(', "email": "[REDACTED]"')).otherwise(pl.lit(""))))
              .otherwise(text('{"attempt": {}, "error_code": "{}"}', pl.col("attempt"), pl.col("error_code"))))
    common = dict(run_id="run_id", job_name="job_name", step_key="step_key", source=pl.lit("telemetry"))
    closing = closed.select(
        id=row_id(pl.col("run_id"), "log", pl.col("step_key"), pl.col("attempt").cast(pl.String)),
        ts=ts(pl.col("t_end")), kind=pl.lit("log"), level=level, message=message, fields=fields,
        redacted_fields=pl.when(redact).then(pl.lit(["email"])).otherwise(pl.lit([], dtype=pl.List(pl.String))), **common)
    total = (pl.col("calls") * 10).cast(pl.Int64).clip(10, None)
    progress = closed.filter((pl.col("status") == "completed") & (pl.col("dur") >= 10.0)).select(
        id=row_id(pl.col("run_id"), "progress", pl.col("step_key"), pl.col("attempt").cast(pl.String)),
        ts=ts(pl.col("t_start") + pl.col("dur") / 2), kind=pl.lit("progress"), level=pl.lit("info"),
        message=text("{}: halfway", pl.col("step_key")),
        fields=text('{"done": {}, "total": {}, "activity": "{}"}', total // 2, total, pl.col("step_key")),
        redacted_fields=pl.lit([], dtype=pl.List(pl.String)), **common)
    control = runs.filter((pl.col("final_status") == "cancelled") & pl.col("ended_at").is_not_null() & (pl.col("ended_at") < end)).select(
        id=row_id(pl.col("run_id"), "control", "cancel"), run_id="run_id", job_name="job_name",
        ts=ts(pl.col("ended_at") - 0.5), kind=pl.lit("control"), level=pl.lit("info"),
        message=text("cancel requested by {}", pl.col("actor")),
        fields=text('{"action": "cancel", "actor": "{}"}', pl.col("actor")),
        redacted_fields=pl.lit([], dtype=pl.List(pl.String)), source=pl.lit("control"))
    return pl.concat([closing, progress, control], how="diagonal_relaxed")


def _model_choice(u: pl.Expr, choices: dict[tuple[str, str], tuple]) -> tuple[pl.Expr, pl.Expr]:
    provider, model = pl.lit(None, pl.String), pl.lit(None, pl.String)
    for (job, step), options in choices.items():
        hit = (pl.col("job_name") == job) & (pl.col("step_key") == step)
        shares = [o[2] for o in options]
        provider = pl.when(hit).then(pick(u, shares, [o[0] for o in options])).otherwise(provider)
        model = pl.when(hit).then(pick(u, shares, [o[1] for o in options])).otherwise(model)
    return provider, model


def model_call_rows(at: pl.DataFrame, choices: dict, draws: Draws, end: float) -> pl.DataFrame:
    """Calls of model-backed steps: tokens, cache hits, latency and outcome per call."""
    calling = at.filter((pl.col("calls") > 0) & pl.col("status").is_in(["completed", *FAILED]) & (pl.col("t_start") < end))
    # One model per attempt: a step calls the model its config names, not a different one per call.
    calling = calling.with_columns(draws.uniform("n_calls", calling.height).alias("u_n"),
                                   draws.uniform("model", calling.height).alias("u_model"))
    n_calls = pl.when(pl.col("status") == "completed").then((pl.col("calls") * (0.5 + pl.col("u_n"))).round(0).clip(1, None)).otherwise(1)
    calls = calling.with_columns(n=n_calls.cast(pl.Int32)).with_columns(k=pl.int_ranges(0, pl.col("n"), dtype=pl.Int32)).explode("k")
    calls = calls.with_columns(t_call=pl.col("t_start") + (pl.col("k") + 1).cast(pl.Float64) / pl.col("n") * pl.col("dur"))
    calls = calls.filter(pl.col("t_call") < end)
    m = calls.height
    calls = calls.with_columns(draws.uniform("cache", m).alias("u_cache"),
                               draws.normal("tin", m).alias("z_in"), draws.normal("tout", m).alias("z_out"),
                               draws.uniform("lat", m).alias("u_lat"))
    provider, model = _model_choice(pl.col("u_model"), choices)
    ok = pl.col("status") == "completed"
    outcome = (pl.when(ok).then(pl.lit("ok")).when(pl.col("code") == "rate_limit").then(pl.lit("rate_limited"))
               .when(pl.col("code") == "timeout").then(pl.lit("timeout")).otherwise(pl.lit("error")))
    tin = pl.when(outcome == "rate_limited").then(0).otherwise((pl.col("input_tokens") * (0.5 * pl.col("z_in")).exp()).round(0))
    tout = pl.when(ok).then((pl.col("output_tokens") * (0.4 * pl.col("z_out")).exp()).round(0)).otherwise(0)
    cached_share = pl.when((pl.col("operation") == "chat") & (pl.col("u_cache") < 0.45)).then(0.3 + pl.col("u_cache")).otherwise(0.0)
    calls = calls.with_columns(provider=provider, model=model, outcome=outcome, tin=tin.cast(pl.Int64), tout=tout.cast(pl.Int64))
    return calls.select(
        id=row_id(pl.col("run_id"), "call", pl.col("step_key"), pl.col("attempt").cast(pl.String), pl.col("k").cast(pl.String)),
        run_id="run_id", ts=ts(pl.col("t_call")), job_name="job_name", step_key="step_key",
        provider="provider", model="model", operation="operation", input_tokens="tin",
        cached_input_tokens=(pl.col("tin") * cached_share).floor().cast(pl.Int64), output_tokens="tout",
        latency_ms=pl.col("dur") * 1000.0 / pl.col("n") * (0.85 + 0.13 * pl.col("u_lat")),
        outcome="outcome", error_code=pl.when(ok).then(None).otherwise(pl.col("code")),
    )


def _content_hash(keys: pl.Series) -> pl.Series:
    return pl.Series([hashlib.blake2b(k.encode(), digest_size=16).hexdigest() for k in keys.to_list()], dtype=pl.String)


def snapshot_rows(at: pl.DataFrame, runs: pl.DataFrame, seed: int, draws: Draws, end: float) -> pl.DataFrame:
    """Input of the first step, intermediates of steps that take one, output of completed runs."""
    first = at.filter((pl.col("step_idx") == 0) & (pl.col("attempt") == 1) & (pl.col("t_start") < end)).select(
        "run_id", "job_name", "step_key", t=pl.col("t_start"), kind=pl.lit("input"), name="input_name")
    middle = at.filter(pl.col("snapshot").is_not_null() & (pl.col("status") == "completed") & (pl.col("t_end") < end)).select(
        "run_id", "job_name", "step_key", t=pl.col("t_end"), kind=pl.lit("intermediate"), name="snapshot")
    last = at.filter((pl.col("step_idx") == pl.col("n_steps") - 1) & (pl.col("status") == "completed") & (pl.col("t_end") < end)).select(
        "run_id", "job_name", "step_key", t=pl.col("t_end"), kind=pl.lit("output"), name="output_name")
    snaps = pl.concat([first, middle, last], how="vertical")
    n = snaps.height
    snaps = snaps.with_columns(rows=(20.0 * (1.2 * draws.normal("snap_rows", n)).exp()).round(0).cast(pl.Int64).clip(1, None))
    key = text("{}:{}:{}:{}", pl.lit(seed), pl.col("run_id"), pl.col("kind"), pl.col("name"))
    redacted = (pl.col("kind") == "input") & pl.col("job_name").str.contains("lead|ticket")
    return snaps.select(
        id=row_id(pl.col("run_id"), "snapshot", pl.col("kind"), pl.col("name")), run_id="run_id", ts=ts(pl.col("t")),
        job_name="job_name", step_key="step_key", kind="kind", name="name", row_count="rows",
        byte_count=pl.col("rows") * 310, content_hash=key.map_batches(_content_hash, return_dtype=pl.String),
        preview=text('[{"id": 1, "name": "{}", "email": "{}"}]', pl.col("name"),
                          pl.when(redacted).then(pl.lit("[REDACTED]")).otherwise(pl.lit("n/a"))),
        redacted_fields=pl.when(redacted).then(pl.lit(["email"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
    )


def resource_sample_rows(at: pl.DataFrame, draws: Draws, end: float) -> pl.DataFrame:
    """Periodic CPU and memory samples of steps that ran 15 seconds or more."""
    long = at.filter((pl.col("dur") >= 15.0) & (pl.col("status") != "skipped"))
    s = long.with_columns(n=(pl.col("dur") / 15.0).floor().clip(1, 6).cast(pl.Int32))
    s = s.with_columns(k=pl.int_ranges(0, pl.col("n"), dtype=pl.Int32)).explode("k")
    s = s.with_columns(share=(pl.col("k") + 1).cast(pl.Float64) / (pl.col("n") + 1))
    s = s.with_columns(t=pl.col("t_start") + pl.col("share") * pl.col("dur")).filter(pl.col("t") < end)
    u = draws.uniform("sample_cpu", s.height)
    return s.with_columns(u.alias("u")).select(
        id=row_id(pl.col("run_id"), "sample", pl.col("step_key"), pl.col("attempt").cast(pl.String), pl.col("k").cast(pl.String)),
        run_id="run_id", ts=ts(pl.col("t")), job_name="job_name", step_key="step_key",
        pid=(20_000 + pl.col("idx") % 40_000).cast(pl.Int32),
        cpu_percent=(pl.col("cpu_share") * 100.0 * (0.7 + 0.6 * pl.col("u"))).clip(0.0, 100.0),
        cpu_s=pl.col("cpu_s") * pl.col("share"), rss_mb=pl.col("peak_rss_mb") * (0.6 + 0.4 * pl.col("share")),
    )
