"""The history simulator: deterministic by seed, and realistic in the ways the models rely on."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from fnmatch import fnmatch

import pyarrow.parquet as pq
import pytest

from pipelines.errors import JoblensError
from pipelines.lake import schema as lake_schema
from pipelines.lake.reader import connect
from pipelines.models.simulator import simulate
from pipelines.telemetry.prices import load_prices
from pipelines.telemetry.signature import signature
from pipelines.telemetry.taxonomy import ERROR_CODES

END = date(2026, 3, 14)
END_AT = datetime(2026, 3, 15, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    lake = tmp_path_factory.mktemp("sim") / "lake"
    report = simulate(lake, days=12, runs_per_day=150, seed=11, end_date=END)
    return report, connect(lake), lake


def q(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _table(con, table: str):
    return con.sql(f"select * exclude (schema_version) from {table} order by id").to_arrow_table()


def test_same_seed_gives_identical_rows_and_ids(tmp_path):
    first = simulate(tmp_path / "a", days=3, runs_per_day=40, seed=5, end_date=END)
    second = simulate(tmp_path / "b", days=3, runs_per_day=40, seed=5, end_date=END)
    assert first.rows == second.rows and first.runs == second.runs
    a, b = connect(tmp_path / "a"), connect(tmp_path / "b")
    for table in lake_schema.TABLES:
        assert _table(a, table).equals(_table(b, table)), table


def test_other_seed_gives_other_history(tmp_path):
    simulate(tmp_path / "a", days=3, runs_per_day=40, seed=5, end_date=END)
    simulate(tmp_path / "b", days=3, runs_per_day=40, seed=6, end_date=END)
    ids = [set(r[0] for r in q(connect(tmp_path / p), "select distinct run_id from runs")) for p in "ab"]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    durations = [q(connect(tmp_path / p), "select sum(duration_s) from steps")[0][0] for p in "ab"]
    assert durations[0] != durations[1]


def test_rows_land_through_the_writer_with_the_lake_schemas(sim):
    report, con, lake = sim
    assert set(report.rows) == set(lake_schema.TABLES) and all(report.rows[t] > 0 for t in lake_schema.TABLES)
    for table in lake_schema.TABLES:
        assert q(con, f"select count(*), count(distinct id) from {table}")[0] == (report.rows[table],) * 2
    files = sorted((lake / "landing" / "steps").rglob("*.parquet"))
    assert files and pq.read_schema(files[0]).equals(lake_schema.schema("steps"), check_metadata=False)


def test_bad_sizes_are_refused(tmp_path):
    with pytest.raises(JoblensError, match="days"):
        simulate(tmp_path / "lake", days=0, runs_per_day=10, seed=1)


def test_lifecycle_order_per_run(sim):
    _, con, _ = sim
    bad = q(con, """
        with r as (
            select run_id,
                   count(*) filter (where status = 'queued') as queued_rows,
                   count(*) filter (where status in ('completed', 'failed', 'cancelled')) as terminal_rows,
                   min(ts) filter (where status = 'queued') as q, min(ts) filter (where status = 'preparing') as p,
                   min(ts) filter (where status = 'running') as r,
                   min(ts) filter (where status in ('completed', 'failed', 'cancelled')) as e
            from runs group by run_id)
        select * from r
        where queued_rows <> 1 or terminal_rows > 1 or p < q or r < p or e < coalesce(r, p, q)
    """)
    assert bad == []
    statuses = {s for (s,) in q(con, "select distinct status from runs")}
    assert statuses == set(lake_schema.RUN_STATUSES)


def test_queue_waits_grow_at_peak_and_runs_wait_for_a_slot(sim):
    _, con, _ = sim
    waits = q(con, """
        select min(epoch(p - q)), max(epoch(p - q)) from (
            select min(ts) filter (where status = 'queued') q, min(ts) filter (where status = 'preparing') p
            from runs group by run_id) where p is not null
    """)[0]
    assert waits[0] > 0  # the coordinator never dequeues instantly
    assert waits[1] > 30  # some runs waited for a free slot


def test_history_ends_live_with_runs_still_queued_and_running(sim):
    _, con, _ = sim
    unfinished = dict(q(con, """
        select arg_max(status, ts), count(*) from runs group by run_id
        having count(*) filter (where status in ('completed', 'failed', 'cancelled')) = 0
    """) or [])
    assert unfinished, "no run is still queued or running at the end"
    assert q(con, "select max(ts) from runs")[0][0] < END_AT
    assert q(con, "select count(distinct run_id) from runs where status = 'cancelled'")[0][0] >= 1


def test_step_attempts_are_consecutive_and_retries_wait(sim):
    _, con, _ = sim
    gaps = q(con, """
        select run_id, step_key, count(distinct attempt) n, max(attempt) m, min(attempt) lo
        from steps where status <> 'usage' group by all having n <> m or lo <> 1
    """)
    assert gaps == []
    statuses = {s for (s,) in q(con, "select distinct status from steps")}
    assert statuses <= set(lake_schema.STEP_STATUSES)
    assert {"completed", "failed", "up_for_retry", "skipped", "usage"} <= statuses
    retried = q(con, """
        select count(*), count(*) filter (where later.wait_before_s > 0)
        from steps as failed join steps as later
          on later.run_id = failed.run_id and later.step_key = failed.step_key and later.attempt = failed.attempt + 1
        where failed.status = 'up_for_retry' and later.status not in ('usage')
    """)[0]
    assert retried[0] > 0 and retried[0] == retried[1]
    first_waits = q(con, "select count(*) from steps where attempt = 1 and wait_before_s is not null")[0][0]
    assert first_waits == 0


def test_usage_rows_carry_cpu_and_memory(sim):
    _, con, _ = sim
    row = q(con, """
        select count(*), count(cpu_s), count(peak_rss_mb), min(cpu_s), min(peak_rss_mb)
        from steps where status = 'usage'""")[0]
    assert row[0] > 0 and row[0] == row[1] == row[2] and row[3] >= 0 and row[4] > 0


def test_run_retries_are_linked_to_parent_and_root(sim):
    _, con, _ = sim
    rows = q(con, """
        with r as (
            select run_id, any_value(trigger) trigger, any_value(parent_run_id) parent, any_value(root_run_id) root,
                   min(ts) filter (where status = 'queued') q,
                   min(ts) filter (where status in ('completed', 'failed', 'cancelled')) e,
                   any_value(status) filter (where status in ('completed', 'failed', 'cancelled')) final
            from runs group by run_id)
        select child.run_id, child.trigger, parent.final, child.q > parent.e, child.root,
               coalesce(parent.root, parent.run_id)
        from r as child left join r as parent on parent.run_id = child.parent
        where child.parent is not null or child.trigger = 'retry'
    """)
    assert rows, "no run retries simulated"
    for run_id, trigger, parent_final, after_parent, root, expected_root in rows:
        assert trigger == "retry" and parent_final == "failed" and after_parent, run_id
        assert root == expected_root, run_id


def test_errors_use_the_taxonomy_and_recurring_signatures(sim):
    _, con, _ = sim
    errors = q(con, "select error_class, error_code, transient, message, stack_trace, signature from errors")
    assert errors
    for error_class, code, transient, message, trace, sig in errors[:200]:
        assert code in ERROR_CODES and transient == ERROR_CODES[code].transient
        assert sig == signature(error_class, message, trace)
    recurring = q(con, """
        select count(*) from (select signature from errors group by signature having count(distinct message) > 1)
    """)[0][0]
    assert recurring >= 1  # the same cause with different numbers in its message groups together
    steps_codes = {c for (c,) in q(con, "select distinct error_code from steps where error_code is not null")}
    assert steps_codes <= set(ERROR_CODES)


def test_a_new_signature_appears_in_the_last_days(sim):
    report, con, _ = sim
    first_seen, count = q(con, "select min(ts), count(*) from errors where signature = ?",
                                params=[report.new_error_signature])[0]
    assert count > 0 and first_seen >= END_AT - timedelta(days=2)


def test_failures_come_in_bursts(sim):
    _, con, _ = sim
    per_hour = [n for (n,) in q(con, 
        "select count(*) from errors where error_code in ('rate_limit', 'upstream_5xx', 'timeout') "
        "group by date_trunc('hour', ts) order by 1 desc")]
    assert per_hour and per_hour[0] >= 5 * max(1, sorted(per_hour)[len(per_hour) // 2])


def test_model_calls_use_priced_models(sim):
    _, con, _ = sim
    prices = load_prices()
    patterns = set(zip(prices.column("provider").to_pylist(), prices.column("model_pattern").to_pylist()))
    used = q(con, "select distinct provider, model, operation from model_calls")
    assert {p for p, _, _ in used} >= {"openai", "anthropic", "local"}
    assert {op for _, _, op in used} == {"chat", "embeddings"}
    for provider, model, _ in used:
        assert any(p == provider and fnmatch(model, pattern) for p, pattern in patterns), (provider, model)
    tokens = q(con, """
        select sum(input_tokens), sum(output_tokens), sum(cached_input_tokens),
               count(*) filter (where cached_input_tokens > input_tokens), count(*) filter (where outcome <> 'ok')
        from model_calls""")[0]
    assert tokens[0] > tokens[1] > 0 and tokens[2] > 0 and tokens[3] == 0 and tokens[4] > 0


def test_all_job_types_teams_and_triggers(sim):
    _, con, _ = sim
    jobs = {j for (j,) in q(con, "select distinct job_name from runs")}
    assert {"workflow__support_ticket_triage", "workflow__document_summarization", "workflow__lead_enrichment",
            "knowledge_index", "knowledge_refresh", "lake_compaction", "health_check", "backup"} <= jobs
    assert {t for (t,) in q(con, "select distinct job_type from runs")} == {"workflow", "knowledge", "system"}
    triggers = {t for (t,) in q(con, "select distinct trigger from runs")}
    assert triggers <= set(lake_schema.TRIGGERS) and {"schedule", "webhook", "sensor", "retry", "backfill"} <= triggers
    assert q(con, "select count(*) from runs where team is null or priority is null or tags is null")[0][0] == 0


def test_diurnal_and_weekly_cycles(sim):
    _, con, _ = sim
    day, night, weekday, weekend = q(con, """
        select count(*) filter (where hour(ts) between 9 and 16), count(*) filter (where hour(ts) between 0 and 4),
               count(*) filter (where isodow(ts) <= 5) / 5, count(*) filter (where isodow(ts) > 5) / 2
        from runs where status = 'queued' and job_type = 'workflow'""")[0]
    assert day > 3 * night and weekday > 1.8 * weekend


def test_one_step_slowly_regresses(sim):
    report, con, _ = sim
    job, step = report.regressed_step
    early, late = q(con, """
        select median(duration_s) filter (where ts < ? ), median(duration_s) filter (where ts >= ?)
        from steps where job_name = ? and step_key = ? and status = 'completed'""",
        params=[END_AT - timedelta(days=8), END_AT - timedelta(days=2), job, step])[0]
    assert late > 1.3 * early


def test_snapshots_logs_and_samples(sim):
    _, con, _ = sim
    kinds = {k for (k,) in q(con, "select distinct kind from snapshots")}
    assert kinds == set(lake_schema.SNAPSHOT_KINDS)
    log_kinds = {k for (k,) in q(con, "select distinct kind from logs")}
    assert log_kinds == set(lake_schema.LOG_KINDS)
    redacted = q(con, "select count(*) from logs where list_contains(redacted_fields, 'email')")[0][0]
    assert redacted > 0
    samples = q(con, "select count(*), max(cpu_percent), min(rss_mb) from resource_samples")[0]
    assert samples[0] > 0 and 0 < samples[1] <= 100 and samples[2] > 0
