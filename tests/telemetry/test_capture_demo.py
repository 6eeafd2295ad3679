"""``joblens demo``: one instrumented run captured, compacted and summarized."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipelines.cli.app import _register, app
from pipelines.lake.reader import connect


def invoke(*args):
    _register()
    return CliRunner().invoke(app, list(args))


def test_demo_lands_every_kind_of_record(joblens_home):
    result = invoke("demo", "--format", "json")
    assert result.exit_code == 0, result.output
    counts = {r["table"]: r["this_run"] for r in json.loads(result.stdout)}
    assert counts["runs"] == 2 and counts["model_calls"] == 2 and counts["snapshots"] == 3
    assert counts["errors"] >= 1 and counts["logs"] >= 2 and counts["steps"] >= 8
    compacted = {p.parts[-3] for p in (joblens_home.lake / "tables").rglob("*.parquet")}
    assert compacted == {t for t, n in counts.items() if n}  # every table with rows was compacted
    con = connect(joblens_home.lake)
    try:
        assert con.execute("select attempt, status, error_code, source from steps "
                           "where step_key = 'summarize_orders' and source = 'dagster' order by ts").fetchall() == [
            (1, "started", None, "dagster"), (1, "up_for_retry", "timeout", "dagster"),
            (2, "started", None, "dagster"), (2, "completed", None, "dagster")]
        assert con.execute("select team, trigger from runs limit 1").fetchone() == ("demo", "manual")
    finally:
        con.close()


def test_demo_fresh_starts_over_and_a_second_run_adds_one(joblens_home):
    assert invoke("demo", "--format", "json").exit_code == 0
    again = invoke("demo", "--format", "json")
    assert {r["table"]: (r["this_run"], r["all_runs"]) for r in json.loads(again.stdout)}["runs"] == (2, 4)
    fresh = invoke("demo", "--fresh", "--format", "json")
    assert {r["table"]: r["all_runs"] for r in json.loads(fresh.stdout)}["runs"] == 2
    table = invoke("demo")
    assert f"lake: {joblens_home.lake}" in table.stdout
