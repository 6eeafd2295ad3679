"""Baselines ``bench/models.py`` compares the models against, each measured in the same run."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatch
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.home import Home
from pipelines.lake import schema as lake_schema
from pipelines.lake.reader import connect
from pipelines.models.catalog import load_catalog
from pipelines.models.state import MODELLED_TABLES
from pipelines.models.warehouse import memory_limit

TERMINAL = ("completed", "failed", "cancelled")


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def model_columns() -> dict[str, list[str]]:
    """Per lake table, the columns the staging models read (a column named in their SQL)."""
    catalog = load_catalog()
    out = {}
    for table in MODELLED_TABLES:
        sql = " ".join(m.sql for m in catalog.models.values() if table in m.deps)
        words = set(re.findall(r"[a-z_]+", sql.lower()))
        out[table] = [c for c in lake_schema.schema(table).names if c in words]
    return out


def scan_model_columns(home: Home) -> float:
    """Seconds to read every value of those columns once (hashing them), warm cache, best of two."""
    con = duckdb.connect(config={"memory_limit": memory_limit()})
    connect(home.lake, con=con, tables=MODELLED_TABLES)
    queries = [f"select bit_xor(hash({', '.join(cols)})) from {table}" for table, cols in model_columns().items()]
    best = float("inf")
    for _ in range(2):
        elapsed, _ = _timed(lambda: [con.execute(q).fetchall() for q in queries])
        best = min(best, elapsed)
    return best


def _files(home: Home, table: str) -> list[str]:
    return [str(p) for p in sorted((home.lake / "tables" / table).rglob("*.parquet"))]


def _price_table(home: Home) -> pa.Table:
    """USD per million tokens per (provider, model) seen: the longest matching pattern, latest version."""
    from pipelines.telemetry.prices import load_prices

    prices = load_prices().to_pylist()
    pairs = duckdb.execute("select distinct provider, model from read_parquet(?)", [_files(home, "model_calls")]).fetchall()
    rows = []
    for provider, model in pairs:
        matches = [p for p in prices if p["provider"] == provider and fnmatch(model, p["model_pattern"])]
        best: dict[str, float] = {}
        for usage in ("input", "cached_input", "output"):
            found = sorted((p for p in matches if p["usage_type"] == usage),
                           key=lambda p: (len(p["model_pattern"]), p["effective_from"]))
            best[usage] = found[-1]["usd_per_million_tokens"] if found else 0.0
        rows.append({"provider": provider, "model": model, "in_usd": best["input"],
                     "cached_usd": best["cached_input"] or best["input"], "out_usd": best["output"]})
    return pa.Table.from_pylist(rows)


# Days and durations from integer microseconds: a timestamptz cast to date (or an interval
# turned into seconds) goes through ICU's calendar and costs ~30 ns a row, ~0.1 s here.
_DUCKDB_METRICS = """
with r as (
    select run_id, any_value(job_name) as job_name,
           arg_min(status, ts) filter (where status in ('completed', 'failed', 'cancelled')) as final,
           min(epoch_us(ts)) filter (where status in ('completed', 'failed', 'cancelled')) as ended_us,
           min(epoch_us(ts)) filter (where status = 'running') as started_us
    from read_parquet($runs) group by run_id
),
by_day as (
    select job_name, ended_us // 86400000000 as day_number,
           count(*) filter (where final = 'completed') / nullif(count(*) filter (where final in ('completed', 'failed')), 0) as rate,
           quantile_cont(ended_us - started_us, 0.95) / 1e6 as p95
    from r where ended_us is not null group by all
)
select job_name, date '1970-01-01' + cast(day_number as integer) as day, rate, p95 from by_day
"""
_DUCKDB_COST = """
with by_day as (
    select epoch_us(ts) // 86400000000 as day_number,
           sum(((input_tokens - cached_input_tokens) * in_usd + cached_input_tokens * cached_usd + output_tokens * out_usd) / 1e6) as cost
    from read_parquet($calls) join prices using (provider, model) group by all
)
select date '1970-01-01' + cast(day_number as integer) as day, cost from by_day
"""


def _duckdb_metrics(home: Home, prices: pa.Table):
    con = duckdb.connect(config={"memory_limit": memory_limit()})
    con.execute("set TimeZone = 'UTC'")
    con.register("prices", prices)
    jobs = con.execute(_DUCKDB_METRICS, {"runs": _files(home, "runs")}).fetchall()
    cost = con.execute(_DUCKDB_COST, {"calls": _files(home, "model_calls")}).fetchall()
    return jobs, cost


def _pandas_metrics(home: Home, prices: pa.Table):
    import pandas as pd

    runs = pd.read_parquet(_files(home, "runs"), columns=["run_id", "ts", "status", "job_name"])
    ends = runs[runs.status.isin(TERMINAL)].sort_values("ts").groupby("run_id").first()
    started = runs[runs.status == "running"].groupby("run_id").ts.min().rename("started")
    df = ends.join(started)
    df["day"] = df.ts.dt.floor("D")
    df["duration"] = (df.ts - df.started).dt.total_seconds()
    df["completed"] = df.status == "completed"
    df["decided"] = df.status.isin(["completed", "failed"])
    grouped = df.groupby(["job_name", "day"])
    jobs = grouped.agg(completed=("completed", "sum"), decided=("decided", "sum"))
    jobs["p95"] = grouped.duration.quantile(0.95)
    jobs["rate"] = jobs.completed / jobs.decided.where(jobs.decided > 0)
    calls = pd.read_parquet(_files(home, "model_calls"),
                            columns=["ts", "provider", "model", "input_tokens", "cached_input_tokens", "output_tokens"])
    calls = calls.merge(prices.to_pandas(), on=["provider", "model"])
    calls["cost"] = ((calls.input_tokens - calls.cached_input_tokens) * calls.in_usd
                     + calls.cached_input_tokens * calls.cached_usd + calls.output_tokens * calls.out_usd) / 1e6
    cost = calls.groupby(calls.ts.dt.floor("D")).cost.sum()
    return jobs, cost


def pandas_vs_duckdb(home: Home) -> dict:
    """The same success rate, p95 duration per job and day and cost per day, in pandas and in DuckDB."""
    prices = _price_table(home)
    duck_s, (jobs, cost) = _timed(lambda: _duckdb_metrics(home, prices))
    try:
        import pandas  # noqa: F401
    except ImportError:
        return {"pandas_s": None, "duckdb_s": duck_s,
                "note": "skipped: pandas is not installed (`.venv/bin/pip install pandas` for this comparison only)"}
    pandas_s, (p_jobs, p_cost) = _timed(lambda: _pandas_metrics(home, prices))
    equal = (
        len(jobs) == len(p_jobs)
        and abs(sum(r[2] or 0 for r in jobs) - float(p_jobs.rate.fillna(0).sum())) < 1e-6 * max(1, len(jobs))
        and abs(sum(r[3] or 0 for r in jobs) - float(p_jobs.p95.fillna(0).sum())) < 1e-3 * max(1, len(jobs))
        and abs(sum(c for _, c in cost) - float(p_cost.sum())) < 1e-6 * max(1.0, float(p_cost.sum()))
    )
    return {"pandas_s": pandas_s, "duckdb_s": duck_s, "equal": equal}


def dagster_vs_models(home: Home, path: Path, runs: int) -> dict:
    """Success rate per job over 30 days: Dagster's instance API on ``runs`` runs vs ``agg_job_daily``."""
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from dagster._core.storage.dagster_run import RunsFilter

    path.mkdir(parents=True, exist_ok=True)
    instance = DagsterInstance.local_temp(tempdir=str(path))
    jobs = ["workflow__support_ticket_triage", "workflow__document_summarization", "workflow__lead_enrichment",
            "knowledge_index", "health_check"]
    for i in range(runs):
        status = DagsterRunStatus.FAILURE if i % 17 == 0 else DagsterRunStatus.SUCCESS
        instance.add_run(DagsterRun(job_name=jobs[i % len(jobs)], run_id=f"00000000-0000-4000-8000-{i:012d}", status=status))

    def ask_dagster():
        since = datetime.now(timezone.utc) - timedelta(days=30)
        counts: dict[str, list[int]] = {}
        for run in instance.get_runs(filters=RunsFilter(created_after=since)):
            done = counts.setdefault(run.job_name, [0, 0])
            done[0] += run.status == DagsterRunStatus.SUCCESS
            done[1] += run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)
        return {job: ok / total for job, (ok, total) in counts.items() if total}

    dagster_s, answer = _timed(ask_dagster)
    instance.dispose()

    def ask_models():
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            return con.execute("""
                select job_name, sum(completed) / nullif(sum(completed) + sum(failed), 0)
                from agg_job_daily where day > (select max(day) from agg_job_daily) - 30 group by job_name""").fetchall()

    model_s, rows = _timed(ask_models)
    return {"runs": runs, "dagster_s": dagster_s, "model_s": model_s, "jobs": len(answer), "model_jobs": len(rows)}
