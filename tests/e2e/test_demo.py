"""``joblens demo`` end to end, at a reduced size: what it leaves in the home, and a second run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.summary import DemoSummary
from pipelines.home import resolve_home
from tests.e2e.conftest import DEMO_SIZE, demo_settings

PUBLIC_MODELS = ("fct_runs", "fct_steps", "agg_job_daily", "agg_cost_daily", "failure_patterns", "agg_step_performance",
                 "agg_trends", "agg_capacity", "run_eta", "budget_status", "retry_economics")
SHIPPED_WORKFLOWS = {"workflow__document_summarization", "workflow__lead_enrichment", "workflow__support_ticket_triage"}
JOBLENS = str(Path(sys.executable).with_name("joblens"))


def query(home, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def run_with_role(summary: DemoSummary, words: str) -> dict:
    return next(r for r in summary.real_runs if words in r["role"])


@pytest.mark.slow
def test_every_lake_table_has_rows(demo_home):
    from pipelines.lake.reader import connect
    from pipelines.lake.schema import TABLES

    home, summary = demo_home
    con = connect(home.lake)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    con.close()
    assert all(n > 0 for n in counts.values()), counts
    # later captures (a `joblens ui` daemon of another test) may add rows, never remove them
    assert all(counts[t] >= n for t, n in summary.lake_rows.items())


@pytest.mark.slow
def test_every_public_model_is_populated(demo_home):
    home, summary = demo_home
    empty = [m for m in PUBLIC_MODELS if query(home, f"select count(*) from {m}")[0][0] == 0]
    assert empty == []
    assert summary.failed_checks == [] and summary.models_materialized >= len(PUBLIC_MODELS)


@pytest.mark.slow
def test_real_runs_of_every_kind_are_captured_with_their_status(demo_home):
    home, summary = demo_home
    launched = {r["run_id"]: r for r in summary.real_runs}
    captured = {run_id: (job_type, status, source) for run_id, job_type, status, source in query(
        home, "select run_id, job_type, status, trigger_source from fct_runs where run_id in (select unnest(?))",
        list(launched))}
    assert {r["job_type"] for r in launched.values()} == {"workflow", "knowledge", "system"}
    assert {r["job_name"] for r in launched.values() if r["role"] == "example payload"} == SHIPPED_WORKFLOWS
    assert {"knowledge_index", "knowledge_refresh", "lake_compaction", "health_check", "retention_cleanup",
            "backup"} <= {r["job_name"] for r in launched.values()}
    for run_id, run in launched.items():
        assert captured[run_id] == (run["job_type"], run["expected"], "joblens demo"), run
    assert sorted(r["status"] for r in launched.values()).count("failed") == 1
    assert sorted(r["status"] for r in launched.values()).count("cancelled") == 1


@pytest.mark.slow
def test_transient_503_is_retried_and_the_second_attempt_succeeds(demo_home):
    home, summary = demo_home
    run = run_with_role(summary, "503")
    attempts = query(home, "select attempt, status, error_code, wait_before_s from fct_steps "
                           "where run_id = ? and step_key = 'lead_enrichment__lookup' order by attempt", run["run_id"])
    assert [a[:3] for a in attempts] == [(1, "up_for_retry", "upstream_5xx"), (2, "completed", None)]
    assert attempts[1][3] > 0  # the retry profile's backoff before attempt 2
    assert query(home, "select status, step_retries from fct_runs where run_id = ?", run["run_id"]) == [("completed", 1)]


@pytest.mark.slow
def test_rejected_payload_fails_for_good_with_its_error_code(demo_home):
    home, summary = demo_home
    run = run_with_role(summary, "input schema")
    assert query(home, "select status, error_code from fct_runs where run_id = ?", run["run_id"]) == [
        ("failed", "data_validation")]
    assert query(home, "select count(*) from fct_steps where run_id = ? and attempt > 1", run["run_id"]) == [(0,)]


@pytest.mark.slow
def test_cancelled_run_stopped_in_its_running_step_and_the_cancel_is_recorded(demo_home):
    from pipelines.lake.reader import connect

    home, summary = demo_home
    run = run_with_role(summary, "cancelled")
    steps = query(home, "select step_key, status from fct_steps where run_id = ? order by started_at", run["run_id"])
    assert steps[-1] == ("lead_enrichment__lookup", "cancelled")
    assert all(status == "completed" for _, status in steps[:-1])
    con = connect(home.lake)
    controls = con.execute("select fields from logs where kind = 'control' and run_id = ?", [run["run_id"]]).fetchall()
    con.close()
    assert [json.loads(f)["action"] for (f,) in controls] == ["cancel"]


def _week(stamp: str) -> tuple[date, date]:
    year, week = stamp.split("-W")
    start = date.fromisocalendar(int(year), int(week), 1)
    return start, start + timedelta(days=7)


@pytest.mark.slow
def test_reports_exist_in_html_and_pdf_with_the_warehouse_headline_numbers(demo_home):
    from reports.formatting import format_value

    home, summary = demo_home
    assert set(summary.reports) == {"summary", "reliability", "performance", "cost"}
    for paths in [*summary.reports.values(), *summary.dashboards.values()]:
        assert Path(paths["html"]).stat().st_size > 0
        assert Path(paths["pdf"]).read_bytes()[:5] == b"%PDF-"
    start, end = _week(Path(summary.reports["summary"]["html"]).stem)
    runs, failed, rate, cost, retries = query(
        home, "select sum(runs), sum(failed), sum(completed) / nullif(sum(completed) + sum(failed), 0), "
              "coalesce(sum(cost_usd), 0), sum(retries) from agg_job_daily where day >= ? and day < ?", start, end)[0]
    assert runs > 0
    expected = {
        "summary": [format_value(runs, "int"), format_value(failed, "int"), format_value(rate, "pct"),
                    format_value(cost, "usd")],
        "reliability": [format_value(rate, "pct"), format_value(failed, "int"), format_value(retries, "int")],
        "performance": [format_value(runs, "int")],
        "cost": [format_value(cost, "usd")],
    }
    for kind, numbers in expected.items():
        html = Path(summary.reports[kind]["html"]).read_text()
        missing = [n for n in numbers if n not in html]
        assert missing == [], f"{kind} report lacks {missing}"


@pytest.mark.slow
def test_report_and_model_assets_show_materializations_in_the_instance(demo_home):
    import dagster as dg

    home, summary = demo_home
    instance = dg.DagsterInstance.from_config(str(home.dagster))  # the demo's, not this test's DAGSTER_HOME
    try:
        for kind, paths in summary.reports.items():
            event = instance.get_latest_materialization_event(dg.AssetKey(f"weekly_{kind}_report"))
            assert event is not None, kind
            metadata = event.asset_materialization.metadata
            assert str(metadata["html_path"].value) == paths["html"] and metadata["runs_in_period"].value > 0
        for model in PUBLIC_MODELS:
            assert instance.get_latest_materialization_event(dg.AssetKey(model)) is not None, model
    finally:
        instance.dispose()


@pytest.mark.slow
def test_alert_messages_are_written_to_the_file_channel(demo_home):
    home, summary = demo_home
    channel = home.root / "alerts" / "notifications.jsonl"
    assert summary.alerts["channel_file"] == str(channel) and summary.alerts["errors"] == []
    messages = [json.loads(line) for line in channel.read_text().splitlines()]
    alert_messages = [m for m in messages if m["title"].startswith(("[FAILED]", "[FIRING:", "[RESOLVED:"))]
    assert len(alert_messages) >= summary.alerts["sent"] > 0  # a `joblens ui` daemon may have sent more
    failed = run_with_role(summary, "input schema")
    announced = [m for m in alert_messages if m["title"].startswith("[FAILED] workflow__support_ticket_triage")]
    assert len(announced) == 1 and failed["run_id"] in announced[0]["body"]
    assert "data_validation" in announced[0]["title"]


@pytest.mark.slow
def test_a_second_demo_adds_its_runs_and_keeps_the_history_once(demo_home, demo_snapshot, tmp_path):
    _, first = demo_home
    copy = resolve_home(tmp_path / "copy")
    shutil.copytree(demo_snapshot, copy.root, symlinks=True)
    history_end = date.fromisoformat(first.history["end"]) + timedelta(days=1)
    before = _counts(copy, history_end)
    env = {**os.environ, **demo_settings(copy)}
    size = [f"--days={DEMO_SIZE['days']}", f"--runs-per-day={DEMO_SIZE['runs_per_day']}", f"--seed={DEMO_SIZE['seed']}"]
    result = subprocess.run([JOBLENS, "demo", *size, "--format", "json"], check=False, capture_output=True, text=True,
                            env=env, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    second = DemoSummary.from_dict(json.loads(result.stdout))
    after = _counts(copy, history_end)

    assert second.history["simulated_now"] is False and second.history["runs"] == first.history["runs"]
    assert after["simulated"] == before["simulated"] == first.history["runs"]
    assert after["demo"] == before["demo"] + len(second.real_runs) == 2 * len(first.real_runs)
    assert after["duplicated_ids"] == 0
    assert [r["status"] for r in second.real_runs] == [r["expected"] for r in second.real_runs]
    # the first demo's model and report runs, captured by the second, are the only other new runs
    assert after["all"] - before["all"] == len(second.real_runs) + 2


def _counts(home, history_end: date) -> dict[str, int]:
    from pipelines.lake.reader import connect

    demo, everything = query(home, "select count(*) filter (where trigger_source = 'joblens demo'), count(*) from fct_runs")[0]
    con = connect(home.lake)
    simulated = con.execute("select count(distinct run_id) from runs where ts < ?::date::timestamptz",
                            [history_end]).fetchone()[0]
    duplicated = con.execute("select count(*) - count(distinct id) from runs").fetchone()[0]
    con.close()
    return {"demo": demo, "all": everything, "simulated": simulated, "duplicated_ids": duplicated}


# --- the demo's parts, without running it -----------------------------------------------


def test_alert_rules_replay_the_last_simulated_day_then_now_and_never_go_back_in_time():
    from datetime import datetime, timezone

    from pipelines.demo.alerts import evaluation_times

    history_end = datetime(2026, 3, 11, tzinfo=timezone.utc)
    now = history_end + timedelta(hours=9, minutes=30)
    first = evaluation_times(None, history_end, now)
    assert first[0] == history_end - timedelta(hours=21) and first[-2] == history_end and first[-1] == now
    assert all(b - a == timedelta(hours=3) for a, b in zip(first[:-2], first[1:-1]))
    assert evaluation_times(now, history_end, now + timedelta(hours=1)) == [now + timedelta(hours=1)]
    assert evaluation_times(now, history_end, now - timedelta(seconds=1)) == []


def test_enrichment_api_answers_503_once_per_flaky_key_then_the_profile():
    import httpx

    from pipelines.demo.enrichment_api import EnrichmentApi

    with EnrichmentApi() as api:
        get = lambda url: httpx.get(url, params={"domain": "northwind.example"}, timeout=5)  # noqa: E731
        assert [get(api.url("flaky", "a")).status_code for _ in range(3)] == [503, 200, 200]
        assert get(api.url("flaky", "b")).status_code == 503
        answer = get(api.url("ok"))
    assert answer.status_code == 200 and answer.json()["name"] == "Northwind Global Bank"


def test_fresh_clears_what_joblens_generated_and_keeps_user_configuration(tmp_path, monkeypatch):
    from pipelines.demo.environment import clear_home

    home = resolve_home(tmp_path / "fresh")
    for folder in ("lake/landing", "reports/summary", "state", "alerts", "dashboards", "alert_rules", "dagster"):
        (home.root / folder).mkdir(parents=True)
    for name in ("warehouse.duckdb", "alerts.duckdb", "knowledge.duckdb", "dashboards/mine.yaml"):
        (home.root / name).write_text("x")
    outside = tmp_path / "their_dagster"
    outside.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(outside))
    clear_home(home)
    assert sorted(p.name for p in home.root.iterdir()) == ["alert_rules", "dagster", "dashboards"]
    assert (home.root / "dashboards/mine.yaml").exists() and outside.exists()
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster))
    clear_home(home)
    assert not home.dagster.exists()


def test_history_is_simulated_once_and_an_unfinished_plan_is_resumed_as_planned(joblens_home):
    from pipelines.demo.history import ensure_history
    from pipelines.demo.state import DemoState, HistoryPlan, load_state
    from pipelines.lake.reader import connect

    def runs() -> tuple:
        con = connect(joblens_home.lake, tables=("runs",))
        try:
            return con.execute("select count(*), min(ts)::date, max(ts)::date from runs").fetchone()
        finally:
            con.close()

    state = DemoState(history=HistoryPlan(seed=3, days=2, runs_per_day=5, end_date="2026-03-10"))  # killed mid-way
    outcome = ensure_history(joblens_home, state, days=90, runs_per_day=400, seed=7)
    assert outcome.simulated_now and (outcome.start, outcome.end) == ("2026-03-09", "2026-03-10")
    written = runs()
    assert written[0] > 0 and str(written[1]) >= "2026-03-09"
    assert load_state(joblens_home).history.done

    again = ensure_history(joblens_home, load_state(joblens_home), days=90, runs_per_day=400, seed=7)
    assert not again.simulated_now and runs() == written

    state = load_state(joblens_home)
    state.history.done = False  # as if the first pass died after writing: the same rows again
    ensure_history(joblens_home, state, days=90, runs_per_day=400, seed=7)
    assert runs() == written
