"""``joblens simulate``, ``sql``, ``jobs list``, ``jobs show`` and ``export`` on simulated history."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.cli.app import main
from pipelines.home import resolve_home
from pipelines.lake.reader import connect
from pipelines.models.simulator import simulate

END = date(2026, 3, 14)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    home = resolve_home(tmp_path_factory.mktemp("history") / "home").ensure()
    simulate(home.lake, days=5, runs_per_day=120, seed=3, end_date=END)
    return home


@pytest.fixture
def home(simulated, monkeypatch):
    monkeypatch.setenv("JOBLENS_HOME", str(simulated.root))
    return simulated


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def lake_rows(home, sql: str, params=None) -> list[tuple]:
    return connect(home.lake).execute(sql, params or []).fetchall()


def test_simulate_command(capsys, joblens_home):
    code, out, _ = cli(capsys, "simulate", "--days", "2", "--runs-per-day", "20", "--seed", "1",
                       "--end-date", "2026-03-14", "-F", "json")
    assert code == 0
    rows = {r["table"]: r["rows"] for r in json.loads(out)}
    assert rows["runs"] == lake_rows(joblens_home, "select count(*) from runs")[0][0] > 0
    code, _, err = cli(capsys, "simulate", "--days", "2", "--end-date", "14/03/2026")
    assert code == 1 and err.strip() == "error: --end-date: '14/03/2026' is not a date like 2026-03-10"


def test_sql_in_every_format(home, capsys):
    query = "select status, count(*) as n from runs group by status order by status"
    expected = lake_rows(home, query)
    code, out, _ = cli(capsys, "sql", query, "-F", "json")
    assert code == 0 and [(r["status"], r["n"]) for r in json.loads(out)] == expected
    code, out, _ = cli(capsys, "sql", query, "-F", "csv")
    assert code == 0 and [(s, int(n)) for s, n in list(csv.reader(io.StringIO(out)))[1:]] == expected
    code, out, _ = cli(capsys, "sql", query)
    assert code == 0 and "status" in out and "completed" in out and str(dict(expected)["completed"]) in out


def test_sql_error_is_one_line_and_exit_1(home, capsys):
    code, out, err = cli(capsys, "sql", "select * from no_such_table")
    assert code == 1 and out == ""
    assert err.startswith("error: Catalog Error") and "no_such_table" in err and err.count("\n") == 1


def test_sql_from_file_and_not_both(home, capsys, tmp_path):
    path = tmp_path / "q.sql"
    path.write_text("select count(distinct run_id) as runs\nfrom runs;\n")
    code, out, _ = cli(capsys, "sql", "-f", str(path), "-F", "csv")
    assert code == 0 and int(out.splitlines()[1]) == lake_rows(home, "select count(distinct run_id) from runs")[0][0]
    code, _, err = cli(capsys, "sql", "select 1", "-f", str(path))
    assert code == 1 and "not both" in err


def test_sql_prompt_reads_until_semicolon_and_survives_errors(home, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("select 41 + 1\n  as answer;\nselect * from nope;\nselect 7 as seven;\n.quit\nselect 99;\n"))
    code, out, err = cli(capsys, "sql", "-F", "csv")
    assert code == 0
    assert "answer\n42" in out and "seven\n7" in out and "99" not in out
    assert "error: Catalog Error" in err


def test_sql_on_the_warehouse_is_read_only(home, capsys, tmp_path, monkeypatch):
    other = resolve_home(tmp_path / "wh").ensure()
    with duckdb.connect(str(other.warehouse)) as con:
        con.execute("create table fct_note as select 'kept' as note")
    monkeypatch.setenv("JOBLENS_HOME", str(other.root))
    code, out, _ = cli(capsys, "sql", "select note from fct_note", "-F", "csv")
    assert code == 0 and out.splitlines() == ["note", "kept"]
    code, _, err = cli(capsys, "sql", "drop table fct_note")
    assert code == 1 and "read-only" in err.lower()


def _listed(capsys, *args: str) -> list[dict]:
    code, out, err = cli(capsys, "jobs", "list", "-F", "json", *args)
    assert code == 0, err
    return json.loads(out)


def test_jobs_list_filters(home, capsys):
    failed = _listed(capsys, "--status", "failed", "--limit", "10000")
    expected = lake_rows(home, "select count(distinct run_id) from runs where status = 'failed'")[0][0]
    assert failed and len(failed) == expected and {r["status"] for r in failed} == {"failed"}
    assert all(r["error_code"] for r in failed)
    knowledge = _listed(capsys, "--type", "knowledge", "--limit", "10000")
    assert knowledge and {r["job_type"] for r in knowledge} == {"knowledge"}
    found = _listed(capsys, "--search", "INBOX", "--limit", "10000")
    assert found and all("inbox" in (r["job_name"] + (r["trigger_source"] or "")).lower() for r in found)
    newest = _listed(capsys, "--limit", "3")
    assert len(newest) == 3 and [r["queued_at"] for r in newest] == sorted((r["queued_at"] for r in newest), reverse=True)


def test_jobs_list_time_window(home, capsys):
    window = _listed(capsys, "--since", "2026-03-12", "--until", "2026-03-12", "--limit", "10000")
    assert window and all(r["queued_at"].startswith("2026-03-12") for r in window)
    expected = lake_rows(home, "select count(*) from runs where status = 'queued' and ts::date = '2026-03-12'")[0][0]
    assert len(window) == expected
    code, _, err = cli(capsys, "jobs", "list", "--since", "last week")
    assert code == 1 and err.startswith("error: --since:")
    code, _, err = cli(capsys, "jobs", "list", "--status", "exploded")
    assert code == 1 and "--status" in err


def _first_column(out: str) -> list[str]:
    """The first column's text on each body line of a printed table (up to the first blank column)."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line.strip()) == {"─"})
    body = lines[rule + 1:]
    body = body[:next((i for i, line in enumerate(body) if line.startswith("narrow terminal")), len(body))]
    width = next(i for i in range(1, max(map(len, body))) if all(len(line) <= i or line[i] == " " for line in body))
    return [line[:width].strip() for line in body if line[:width].strip()]


@pytest.mark.parametrize("columns", [80, 240])
def test_jobs_list_table_fits_the_console_and_wraps_run_ids_at_dashes(home, capsys, monkeypatch, columns):
    newest = [r["run_id"] for r in _listed(capsys, "--limit", "4")]
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, err = cli(capsys, "jobs", "list", "--limit", "4")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= columns
    pieces = _first_column(out)
    assert "".join(pieces) == "".join(newest)
    if columns == 240:  # room for everything: each run id whole on its line, nothing left out
        assert pieces == newest and "narrow terminal" not in out
    else:  # a narrow console: ids break only after a dash, the least needed columns go
        assert all(p.endswith("-") or any(r.endswith(p) for r in newest) for p in pieces)
        note = out[out.index("narrow terminal: "):].replace("\n", " ")
        assert note.startswith("narrow terminal: trigger_source, started_at")
        assert "job_name" not in note and "status" not in note.split("not shown")[0]


@pytest.mark.slow
def test_jobs_list_reads_fct_runs_once_refreshed(capsys, joblens_home):
    from pipelines.models.refresh import refresh

    simulate(joblens_home.lake, days=2, runs_per_day=60, seed=9, end_date=END)
    before = _listed(capsys, "--limit", "10000")
    refresh(joblens_home, full=True)
    assert joblens_home.warehouse.exists()
    assert _listed(capsys, "--limit", "10000") == before


def _failed_run_with_retries(home) -> str:
    return lake_rows(home, """
        select run_id from runs where status = 'failed' and run_id in (
            select run_id from steps where status = 'up_for_retry') and run_id in (select run_id from model_calls)
        order by run_id limit 1""")[0][0]


def test_jobs_show_json_document(home, capsys):
    run_id = _failed_run_with_retries(home)
    code, out, err = cli(capsys, "jobs", "show", run_id, "-F", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["run_id"] == run_id and doc["run"]["status"] == "failed"
    assert [t["status"] for t in doc["timeline"]][0] == "queued" and doc["timeline"][-1]["status"] == "failed"
    attempts = {(s["step_key"], s["attempt"]): s for s in doc["steps"]}
    retried = [key for key, s in attempts.items() if s["status"] == "up_for_retry"]
    assert retried and all((k, a + 1) in attempts and attempts[(k, a + 1)]["wait_before_s"] > 0 for k, a in retried)
    assert doc["errors"] and all(e["remediation"] and e["stack_trace"].startswith("Traceback") for e in doc["errors"])
    assert {e["error_code"] for e in doc["errors"]} >= {doc["run"]["error_code"]}
    assert doc["logs"] and doc["snapshots"][0]["kind"] == "input"
    assert sum(c["calls"] for c in doc["model_calls"]) == lake_rows(
        home, "select count(*) from model_calls where run_id = ?", [run_id])[0][0]
    assert doc["run"]["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in doc["model_calls"]))


def test_jobs_show_table(home, capsys):
    run_id = _failed_run_with_retries(home)
    code, out, _ = cli(capsys, "jobs", "show", run_id)
    assert code == 0
    for text in ("Lifecycle", "Steps", "Errors", "Traceback", "Logs", "Data snapshots", "Model calls", run_id):
        assert text in out
    code, _, err = cli(capsys, "jobs", "show", run_id[:24])
    assert code == 1 and "ambiguous" in err


def test_jobs_show_unknown_run(home, capsys):
    code, out, err = cli(capsys, "jobs", "show", "not-a-run")
    assert code == 1 and out == "" and err == "error: no run 'not-a-run' in the record\n"


def test_export_round_trips(home, capsys, tmp_path):
    expected = lake_rows(home, "select count(*) from steps where ts >= '2026-03-13'")[0][0]
    code, _, err = cli(capsys, "export", "steps", "--since", "2026-03-13", "--format", "parquet", "--out", str(tmp_path / "s.parquet"))
    assert code == 0 and f"exported {expected} rows" in err
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == expected and "cpu_s" in table.column_names
    code, _, _ = cli(capsys, "export", "logs", "--until", "2026-03-10", "--format", "csv", "--out", str(tmp_path / "l.csv"))
    rows = list(csv.DictReader((tmp_path / "l.csv").open()))
    assert code == 0 and len(rows) == lake_rows(home, "select count(*) from logs where ts < '2026-03-11'")[0][0]
    assert json.loads(rows[0]["redacted_fields"]) is not None
    code, _, _ = cli(capsys, "export", "fct_runs", "--format", "json", "--out", str(tmp_path / "r.json"))
    runs = [json.loads(line) for line in (tmp_path / "r.json").read_text().splitlines()]
    assert code == 0 and len(runs) == lake_rows(home, "select count(distinct run_id) from runs")[0][0]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["l.csv", "r.json", "s.parquet"]  # no temp files


def test_export_bad_input(home, capsys, tmp_path):
    code, _, err = cli(capsys, "export", "nope", "--out", str(tmp_path / "x.csv"))
    assert code == 1 and "unknown table 'nope'" in err
    code, _, err = cli(capsys, "export", "ref_error_codes", "--since", "7d", "--out", str(tmp_path / "x.csv"))
    assert code == 1 and "no time column" in err
    assert not (tmp_path / "x.csv").exists()


def test_sql_has_the_models_time_macros(home, capsys):
    query = ("select utc_date(min(ts)) = cast(min(ts) as date) as same_day, "
             "seconds_between(min(ts), max(ts)) = (epoch_us(max(ts)) - epoch_us(min(ts))) / 1e6 as same_span from runs")
    code, out, _ = cli(capsys, "sql", query, "-F", "json")
    assert code == 0 and json.loads(out) == [{"same_day": True, "same_span": True}]
