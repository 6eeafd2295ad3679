"""What a report says equals what the fixture warehouse holds; it escapes names; it scopes teams."""

from __future__ import annotations

import duckdb
import pytest

from reports.model import Chart, Metric, Table
from reports.render import render_html

WEEK = ("2026-11-16", "2026-11-23")  # the weekly report's period at NOW
PREVIOUS_WEEK = ("2026-11-09", "2026-11-16")


def _scalar(path, sql, *params):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()[0]
    finally:
        con.close()


def _metrics(report) -> dict[str, Metric]:
    return {m.label: m for s in report.sections for m in s.metrics}


def _table(report, title) -> Table:
    return next(b for s in report.sections for b in s.blocks if isinstance(b, Table) and b.title == title)


def test_summary_headline_equals_the_warehouse(build, warehouse):
    report = build("summary", "weekly")
    metrics = _metrics(report)
    runs = _scalar(warehouse, "select count(*) from fct_runs where day >= ? and day < ?", *WEEK)
    prev_runs = _scalar(warehouse, "select count(*) from fct_runs where day >= ? and day < ?", *PREVIOUS_WEEK)
    failed = _scalar(warehouse, "select count(*) from fct_runs where status = 'failed' and day >= ? and day < ?", *WEEK)
    completed = _scalar(warehouse, "select count(*) from fct_runs where status = 'completed' and day >= ? and day < ?", *WEEK)
    cost = _scalar(warehouse, "select sum(cost_usd) from fct_runs where day >= ? and day < ?", *WEEK)
    assert (metrics["Runs"].value, metrics["Runs"].previous) == (runs, prev_runs)
    assert metrics["Failed runs"].value == failed
    assert metrics["Success rate"].value == pytest.approx(completed / (completed + failed))
    assert metrics["Model cost"].value == pytest.approx(cost)
    html = render_html(report)
    assert f'<div class="value">{runs}</div>' in html
    assert f"{completed / (completed + failed) * 100:.1f} %" in html
    assert f"${cost:,.2f}" in html


def test_cost_by_model_equals_agg_cost_daily(build, warehouse):
    rows = _table(build("cost", "weekly"), "Cost by model").rows
    for row in rows:
        expected = _scalar(warehouse, "select sum(cost_usd) from agg_cost_daily where model = ? and day >= ? and day < ?", row["model"], *WEEK)
        assert row["cost_usd"] == pytest.approx(expected)


def test_jobs_link_to_their_latest_run_in_the_dagster_ui(build, warehouse):
    report = build("summary", "weekly")
    row = next(r for r in _table(report, "Jobs").rows if r["job_name"] == "ingest_invoices")
    latest = _scalar(warehouse, "select arg_max(run_id, ended_at) from fct_runs where job_name = 'ingest_invoices' and day >= ? and day < ?", *WEEK)
    assert row["last_run_id"] == latest
    assert f'href="http://127.0.0.1:3000/runs/{latest}"' in render_html(report)


def test_a_job_named_like_a_tag_is_shown_not_run(build, data):
    for kind in ("summary", "reliability"):
        html = render_html(build(kind, "weekly"))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "invoice total &lt;b&gt;negative&lt;/b&gt;" in html  # an error message with markup
        assert "<b>negative</b>" not in html


def test_job_and_step_keys_can_wrap_at_their_underscores(build):
    """A long key in a table cell breaks at its parts instead of widening the table past the
    page; the text a reader sees (and copies) is unchanged."""
    html = render_html(build("summary", "weekly"))
    assert '<td class="text">summarize_<wbr>tickets</td>' in html
    assert "summarize_tickets" in html.replace("<wbr>", "")


def test_team_scope_keeps_only_the_teams_jobs(build, warehouse):
    report = build("summary", "weekly", team="support")
    jobs = {r["job_name"] for r in _table(report, "Jobs").rows}
    assert jobs == {"summarize_tickets", "kb_answer_eval"}
    runs = _scalar(warehouse, "select count(*) from fct_runs where team = 'support' and day >= ? and day < ?", *WEEK)
    assert _metrics(report)["Runs"].value == runs
    assert "team support" in report.title
    cost = build("cost", "weekly", team="support")
    assert {r["job_name"] for r in _table(cost, "Cost by job").rows} <= {"summarize_tickets", "kb_answer_eval"}
    assert {r["budget_name"] for r in _table(cost, "Budgets, month to date").rows} == {"support-team"}


def test_what_changed_names_the_new_error_signature(build, data):
    day = data.NEW_SIGNATURE_FROM.isoformat()  # kb_answer_eval starts failing with a new signature
    report = build("reliability", since=day, until=day)
    changed = next(s for s in report.sections if s.title == "What changed since the last report")
    new = next(b for b in changed.blocks if isinstance(b, Table) and b.title == "New error signatures")
    assert [r["signature"] for r in new.rows] == [data.NEW_SIGNATURE]
    day_after = build("reliability", "daily")  # the 28th: seen before, no longer new
    changed = next(s for s in day_after.sections if s.title == "What changed since the last report")
    assert not any(isinstance(b, Table) and b.title == "New error signatures" and b.rows for b in changed.blocks)
    weekly = build("reliability", since="2026-11-23", until="2026-11-28")
    new = next(b for s in weekly.sections for b in s.blocks if isinstance(b, Table) and b.title == "New errors")
    assert data.NEW_SIGNATURE in {r["signature"] for r in new.rows}


def test_single_day_reports_show_tables_not_one_point_trends(build):
    report = build("summary", "daily")
    assert not any(isinstance(b, Chart) for s in report.sections for b in s.blocks)
    assert any(isinstance(b, Table) and b.title == "Runs by status" for s in report.sections for b in s.blocks)


def test_an_empty_period_says_so(build, data):
    day = data.EMPTY_DAY.isoformat()
    report = build("cost", since=day, until=day)
    assert report.empty and report.coverage.runs_in_period == 0
    html = render_html(report)
    assert "No jobs ran in this period" in html
    assert "chart-spec" not in html and "vegaEmbed" not in html


def test_p95_comes_from_agg_job_daily(build, warehouse):
    daily = _table(build("summary", "daily"), "Jobs")  # one day: the model's own p95
    row = next(r for r in daily.rows if r["job_name"] == "summarize_tickets")
    assert row["p95_duration_s"] == pytest.approx(_scalar(
        warehouse, "select p95_duration_s from agg_job_daily where job_name = 'summarize_tickets' and day = date '2026-11-28'"))
    weekly = next(r for r in _table(build("summary", "weekly"), "Jobs").rows if r["job_name"] == "summarize_tickets")
    assert weekly["p95_duration_s"] == pytest.approx(_scalar(
        warehouse, "select sum(p95_duration_s * runs) / sum(runs) from agg_job_daily "
                   "where job_name = 'summarize_tickets' and day >= ? and day < ?", *WEEK))
