"""The one source of report test data: a small warehouse with the public models of issue 4.

``build_warehouse(path)`` writes a DuckDB file with every table the reports read, filled
with realistic, deterministic rows: 7 jobs of the three job types over 2026-09-24 ..
2026-11-28, step attempts with retries, model calls and their cost, a failure burst, an
error signature that first appears on 2026-11-27, and a job whose name is an HTML tag.
Reports are generated at ``NOW`` (frozen), so the daily report covers 2026-11-28, the
weekly one 2026-11-16 .. 22 (ISO week 47) and the monthly one October 2026.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)
FIRST_DAY = date(2026, 9, 24)
LAST_DAY = date(2026, 11, 28)
EMPTY_DAY = date(2026, 10, 12)  # nothing ran: the "no jobs ran" report
SCRIPT_JOB = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Job:
    name: str
    job_type: str
    team: str
    steps: tuple[str, ...]
    runs_per_day: int
    base_duration_s: float
    model: tuple[str, str] | None  # (provider, model) of its model calls
    fail_rate: float


JOBS = (
    Job("ingest_invoices", "workflow", "finance", ("fetch", "parse", "load"), 3, 40.0, None, 0.05),
    Job("summarize_tickets", "workflow", "support", ("load_tickets", "summarize", "publish"), 4, 90.0, ("openai", "gpt-4o-mini"), 0.08),
    Job("kb_refresh_embeddings", "knowledge", "platform", ("chunk", "embed", "index"), 2, 300.0, ("openai", "text-embedding-3-small"), 0.04),
    Job("kb_answer_eval", "knowledge", "support", ("sample", "answer", "grade"), 1, 150.0, ("anthropic", "claude-3-5-sonnet"), 0.1),
    Job("lake_compaction", "system", "platform", ("compact",), 1, 25.0, None, 0.02),
    Job("warehouse_refresh", "system", "platform", ("refresh_models", "run_checks"), 2, 60.0, None, 0.03),
    Job(SCRIPT_JOB, "workflow", "qa", ("render",), 1, 5.0, None, 0.5),
)

# Per million tokens: input, output.
PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "text-embedding-3-small": (0.02, 0.0),
    "claude-3-5-sonnet": (3.0, 15.0),
}

# signature -> (error_code, error_class, transient, message, remediation)
SIGNATURES = {
    "a1f3c9e2": ("rate_limit", "RateLimitError", True, "429 Too Many Requests from api.openai.com", "Lower concurrency or raise the provider quota."),
    "b7d20411": ("timeout", "TimeoutError", True, "read timed out after 30 s", "Raise the step timeout or make the call smaller."),
    "c0ffee42": ("data_validation", "ValueError", False, "invoice total <b>negative</b> in row 17", "Fix the input file; the row is rejected."),
    "d15ea5e0": ("upstream_5xx", "HTTPError", True, "502 Bad Gateway from tickets.internal", "Retry later; the upstream service is failing."),
    "e4a1new0": ("authentication", "AuthError", False, "API key rejected for project kb-eval", "Rotate the API key in the secret store."),
}
NEW_SIGNATURE = "e4a1new0"
NEW_SIGNATURE_FROM = date(2026, 11, 27)
BURST_DAYS = (date(2026, 10, 20), date(2026, 10, 21), date(2026, 11, 18))


def _run_id(job: Job, day: date, n: int) -> str:
    return hashlib.sha1(f"{job.name}|{day}|{n}".encode()).hexdigest()[:8] + "-run"


def _signature_for(job: Job, day: date, rng: random.Random) -> str:
    if job.name == "kb_answer_eval" and day >= NEW_SIGNATURE_FROM:
        return NEW_SIGNATURE
    if job.name in ("ingest_invoices", SCRIPT_JOB):
        return "c0ffee42"
    if job.model is not None and job.model[0] == "openai":
        return rng.choice(("a1f3c9e2", "a1f3c9e2", "d15ea5e0"))
    return "b7d20411"


def _step_duration(job: Job, step: str, day: date, rng: random.Random) -> float:
    base = job.base_duration_s / len(job.steps) * rng.uniform(0.7, 1.4)
    if step == "summarize" and day >= date(2026, 11, 1):
        base *= 1 + 0.04 * (day - date(2026, 11, 1)).days  # the slow regression
    return round(base, 3)


def _model_usage(job: Job, rng: random.Random) -> tuple[int, int, int, float]:
    provider, model = job.model
    calls = rng.randint(3, 8)
    input_tokens = calls * rng.randint(800, 2000)
    output_tokens = 0 if "embedding" in model else calls * rng.randint(100, 400)
    price_in, price_out = PRICES[model]
    cost = round((input_tokens * price_in + output_tokens * price_out) / 1e6, 6)
    return calls, input_tokens, output_tokens, cost


def _attempts(job: Job, fails_at: int | None, signature: str | None, rng: random.Random) -> list[tuple[str, int, str]]:
    """(step_key, attempt, status) for each attempt of a run, in order."""
    attempts = []
    for index, step in enumerate(job.steps):
        if fails_at is not None and index > fails_at:
            break
        transient = signature is not None and SIGNATURES[signature][2]
        if index == fails_at:
            if transient:
                attempts.append((step, 1, "up_for_retry"))
            attempts.append((step, 2 if transient else 1, "failed"))
        elif rng.random() < 0.08:
            attempts += [(step, 1, "up_for_retry"), (step, 2, "completed")]
        else:
            attempts.append((step, 1, "completed"))
    return attempts


def _one_run(job: Job, day: date, n: int, rng: random.Random, out: dict[str, list]) -> None:
    run_id = _run_id(job, day, n)
    burst = day in BURST_DAYS
    queued_at = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(
        hours=1 + n * 5 + rng.randint(0, 3), minutes=rng.randint(0, 59)
    )
    queue_wait = round(rng.uniform(1, 90 if burst else 30), 3)
    prep = round(rng.uniform(2, 8), 3)
    started_at = queued_at + timedelta(seconds=queue_wait + prep)
    fail_p = min(job.fail_rate * (6 if burst else 1), 0.9)
    if job.name == "kb_answer_eval" and day >= NEW_SIGNATURE_FROM:
        fail_p = 0.9
    cancelled = rng.random() < 0.01
    failed = not cancelled and rng.random() < fail_p
    signature = _signature_for(job, day, rng) if failed else None
    fails_at = rng.randrange(len(job.steps)) if failed else None
    clock, totals = started_at, {"tokens_in": 0, "tokens_out": 0, "cost": 0.0, "retries": 0, "failed_steps": 0}
    for step, attempt, status in _attempts(job, fails_at, signature, rng):
        duration = _step_duration(job, step, day, rng)
        wait_before = round(rng.uniform(5, 20), 3) if attempt > 1 else None
        clock += timedelta(seconds=wait_before or 0)
        usage = _model_usage(job, rng) if job.model and step == job.steps[1 % len(job.steps)] else None
        out["fct_steps"].append(dict(
            run_id=run_id, job_name=job.name, step_key=step, attempt=attempt, status=status,
            started_at=clock, ended_at=clock + timedelta(seconds=duration), duration_s=duration,
            wait_before_s=wait_before, cpu_s=round(duration * rng.uniform(0.2, 0.9), 3),
            peak_rss_mb=round(rng.uniform(120, 900 if "embed" in step else 400), 1),
            input_tokens=usage[1] if usage else 0, output_tokens=usage[2] if usage else 0,
            cost_usd=usage[3] if usage else 0.0,
            error_code=SIGNATURES[signature][0] if status in ("failed", "up_for_retry") and signature else None,
            day=clock.date(),
        ))
        if status in ("failed", "up_for_retry") and not signature:
            out["fct_steps"][-1]["error_code"] = "timeout"
        if usage:
            provider, model = job.model
            out["calls"].append(dict(day=day, job_name=job.name, provider=provider, model=model, calls=usage[0],
                                     input_tokens=usage[1], output_tokens=usage[2], cost_usd=usage[3]))
            totals["tokens_in"] += usage[1]
            totals["tokens_out"] += usage[2]
            totals["cost"] += usage[3]
        totals["retries"] += attempt > 1
        totals["failed_steps"] += status == "failed"
        clock += timedelta(seconds=duration)
    status = "cancelled" if cancelled else "failed" if failed else "completed"
    out["fct_runs"].append(dict(
        run_id=run_id, job_name=job.name, job_type=job.job_type, team=job.team,
        trigger="schedule" if job.job_type == "system" else rng.choice(("schedule", "webhook", "manual")),
        status=status, priority=0, parent_run_id=None, root_run_id=run_id, queued_at=queued_at,
        preparing_at=queued_at + timedelta(seconds=queue_wait), started_at=started_at, ended_at=clock,
        queue_wait_s=queue_wait, prep_s=prep,
        duration_s=round((clock - started_at).total_seconds(), 3), step_count=len(job.steps),
        failed_steps=totals["failed_steps"], step_retries=totals["retries"],
        input_tokens=totals["tokens_in"], output_tokens=totals["tokens_out"], cost_usd=round(totals["cost"], 6),
        error_code=SIGNATURES[signature][0] if signature else ("cancelled" if cancelled else None),
        error_signature=signature, day=clock.date(),
    ))


def generate_rows(seed: int = 20261129) -> dict[str, list[dict]]:
    """fct_runs and fct_steps rows plus per-run model usage, the same for the same seed."""
    rng = random.Random(seed)
    out: dict[str, list] = {"fct_runs": [], "fct_steps": [], "calls": []}
    day = FIRST_DAY
    while day <= LAST_DAY:
        if day != EMPTY_DAY:
            for job in JOBS:
                if job.name == SCRIPT_JOB and day < date(2026, 11, 10):
                    continue
                for n in range(job.runs_per_day):
                    _one_run(job, day, n, rng, out)
        day += timedelta(days=1)
    return out


_DERIVED = {
    "agg_job_daily": """
        select day, job_name, any_value(job_type) as job_type, max(team) as team, count(*) as runs,
               count(*) filter (status = 'completed') as completed, count(*) filter (status = 'failed') as failed,
               count(*) filter (status = 'cancelled') as cancelled,
               completed / nullif(completed + failed, 0) as success_rate,
               quantile_cont(duration_s, 0.5) as p50_duration_s, quantile_cont(duration_s, 0.95) as p95_duration_s,
               max(duration_s) as max_duration_s, quantile_cont(queue_wait_s, 0.95) as p95_queue_wait_s,
               sum(step_retries) as retries, sum(cost_usd) as cost_usd,
               sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens
        from fct_runs group by day, job_name""",
    "agg_cost_daily": """
        select day, job_name, provider, model, sum(calls) as calls, sum(input_tokens) as input_tokens,
               sum(input_tokens // 10) as cached_input_tokens, sum(output_tokens) as output_tokens,
               sum(cost_usd) as cost_usd
        from calls group by day, job_name, provider, model""",
    "failure_patterns": """
        with occ as (
            select error_signature as signature, count(*) as occurrences, count(distinct run_id) as runs_affected,
                   count(distinct job_name) as jobs_affected, min(ended_at) as first_seen, max(ended_at) as last_seen,
                   count(*) filter (ended_at >= $now - interval 7 day) as occurrences_last_7d,
                   count(*) filter (ended_at < $now - interval 7 day and ended_at >= $now - interval 14 day) as occurrences_prev_7d
            from fct_runs where error_signature is not null group by error_signature
        )
        select occ.signature, s.error_code, s.error_class, s.transient, s.sample_message, s.remediation,
               occurrences, runs_affected, jobs_affected, first_seen, last_seen,
               occurrences_last_7d, occurrences_prev_7d, first_seen >= $now - interval 1 day as is_new,
               runs_affected as root_failures, 0 as cascade_failures
        from occ join signatures s using (signature)""",
    "agg_step_performance": """
        with windows as (
            select *, started_at > $now - interval 7 day as is_current from fct_steps
            where started_at > $now - interval 14 day),
        stats as (
            select job_name, step_key, is_current, count(*) as attempts, quantile_cont(duration_s, 0.5) as p50_duration_s,
                   quantile_cont(duration_s, 0.95) as p95_duration_s, max(duration_s) as max_duration_s,
                   sum(duration_s) as total_duration_s, max(peak_rss_mb) as max_peak_rss_mb
            from windows group by all)
        select c.job_name, c.step_key, c.attempts, c.p50_duration_s, c.p95_duration_s, c.max_duration_s,
               c.total_duration_s / sum(c.total_duration_s) over (partition by c.job_name) as share_of_run_time,
               c.max_peak_rss_mb, p.p95_duration_s as prev_p95_duration_s,
               c.p95_duration_s / nullif(p.p95_duration_s, 0) - 1 as p95_change
        from stats c left join stats p on p.job_name = c.job_name and p.step_key = c.step_key and not p.is_current
        where c.is_current""",
    "agg_capacity": """
        select date_trunc('hour', started_at) as hour, 'all' as job_type, false as is_forecast,
               count(*) as runs_queued, count(*) as runs_started, count(*)::double as avg_concurrent_runs,
               count(*) as peak_concurrent_runs, 0.0 as avg_queued_runs, 0 as peak_queued_runs,
               quantile_cont(queue_wait_s, 0.95) as p95_queue_wait_s, null::double as forecast_runs
        from fct_runs where started_at >= $now - interval 28 day group by 1
        union all
        select $now::date::timestamptz + to_days(k::integer), 'all', true, 0, 0, null, null, null, null, null, 13.5 + 0.05 * k
        from range(30) t(k)""",
    "retry_economics": """
        select r.error_signature as signature, s.job_name, count(*) filter (s.attempt > 1) as retries,
               avg(case when s.status = 'completed' then 1.0 else 0.0 end) filter (s.attempt > 1) as retry_success_rate,
               sum(s.duration_s) filter (s.status in ('failed', 'up_for_retry')) as failed_attempt_s,
               sum(s.cost_usd) filter (s.status in ('failed', 'up_for_retry')) as failed_attempt_cost_usd
        from fct_steps s join fct_runs r using (run_id)
        where r.error_signature is not null group by all""",
}


def _budget_status(con: duckdb.DuckDBPyConnection) -> None:
    """Budgets of November 2026 as of NOW: one nearly spent, one forecast to overrun, one safe."""
    con.execute("""
        create table budget_status as
        with budgets(budget_name, scope, match, budget_usd, warn_at) as (values
            ('support-team', 'team', 'support', 2.0, 0.8),
            ('claude', 'model', 'claude-*', 1.0, 0.8),
            ('embeddings-job', 'job', 'kb_refresh_embeddings', 0.05, 0.8),
            ('all-ai-spend', 'total', '*', 500.0, 0.8)),
        month_costs as (
            select c.*, r.team from agg_cost_daily c
            left join (select distinct job_name, team from fct_runs) r using (job_name)
            where c.day >= date '2026-11-01'),
        spend as (
            select b.budget_name, coalesce(sum(m.cost_usd), 0) as spend_mtd_usd
            from budgets b left join month_costs m on case b.scope
                when 'total' then true when 'job' then m.job_name glob b.match
                when 'team' then m.team glob b.match when 'model' then m.model glob b.match end
            group by b.budget_name)
        select b.budget_name, b.scope, b.match, date '2026-11-01' as month, b.budget_usd::double as budget_usd,
               s.spend_mtd_usd, 28.25 as days_elapsed, 30 as days_in_month,
               s.spend_mtd_usd / 28.25 * 30 as forecast_month_end_usd, s.spend_mtd_usd / b.budget_usd as share_used,
               s.spend_mtd_usd / 28.25 * 30 / b.budget_usd as forecast_share, b.warn_at::double as warn_at,
               case when s.spend_mtd_usd >= b.budget_usd then 'over'
                    when s.spend_mtd_usd >= b.warn_at * b.budget_usd then 'warning'
                    when s.spend_mtd_usd / 28.25 * 30 > b.budget_usd then 'at_risk' else 'ok' end as status
        from budgets b join spend s using (budget_name)""")


# Built by the real model SQL over the rows above (int_as_of binds the refresh's clock).
REPORT_MODELS = ("int_as_of", "agg_step_daily", "agg_retry_daily", "fct_incidents")


def build_warehouse(path: Path, seed: int = 20261129) -> Path:
    """Write the fixture warehouse to ``path`` (a new DuckDB file named warehouse.duckdb) and return it."""
    import pyarrow as pa

    from pipelines.home import resolve_home
    from pipelines.models.refresh import refresh

    rows = generate_rows(seed)
    signatures = pa.Table.from_pylist([
        dict(signature=k, error_code=v[0], error_class=v[1], transient=v[2], sample_message=v[3], remediation=v[4])
        for k, v in SIGNATURES.items()
    ])
    con = duckdb.connect(str(path))
    try:
        con.execute("set timezone = 'UTC'")
        for name in ("fct_runs", "fct_steps", "calls"):
            con.register(f"{name}_arrow", pa.Table.from_pylist(rows[name]))
            con.execute(f"create table {name} as select * from {name}_arrow")
        con.execute("alter table fct_runs alter parent_run_id type varchar")
        con.register("signatures", signatures)
        for name, sql in _DERIVED.items():
            con.execute(f"create table {name} as {sql}", {"now": NOW} if "$now" in sql else None)
        _budget_status(con)
        con.execute("drop table calls")
    finally:
        con.close()
    report = refresh(resolve_home(path.parent), models=REPORT_MODELS)
    assert not report.failed_audits, report.failed_audits
    return path
