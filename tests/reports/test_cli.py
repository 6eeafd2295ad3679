"""``joblens report`` and ``joblens dashboard`` end to end, in process and as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main


def _run(capsys, *argv) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_report_writes_html_and_pdf_under_the_home(capsys, warehouse, joblens_home):
    code, out, _ = _run(capsys, "report", "--kind", "reliability", "--since", "2026-11-16", "--until", "2026-11-22")
    assert code == 0
    html = joblens_home.reports / "reliability" / "2026-11-16_2026-11-22.html"
    pdf = html.with_suffix(".pdf")
    assert f"html: {html}" in out and f"pdf: {pdf}" in out
    assert html.read_text().startswith("<!doctype html>")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not list(html.parent.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_team_report_and_dagster_url(capsys, warehouse, joblens_home, tmp_path):
    code, out, _ = _run(capsys, "report", "--kind", "summary", "--since", "2026-11-16", "--until", "2026-11-22",
                        "--team", "support", "--format", "html", "--out", str(tmp_path / "out"),
                        "--dagster-url", "https://dagster.example.com/")
    assert code == 0
    html = (tmp_path / "out" / "summary" / "2026-11-16_2026-11-22-team-support.html").read_text()
    assert 'href="https://dagster.example.com/runs/' in html
    assert "ingest_invoices" not in html


@pytest.mark.parametrize(
    "argv, message",
    [
        (("report", "--kind", "weather"), "error: unknown report kind 'weather'"),
        (("report", "--period", "hourly"), "error: unknown period 'hourly'"),
        (("report", "--format", "docx"), "error: unknown format docx"),
        (("dashboard", "nope"), "error: no dashboard named 'nope'; dashboards are: job_health, model_spend"),
        (("dashboard", "model_spend", "--param", "days"), "error: --param 'days' is not NAME=VALUE"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(argv, message, capsys, warehouse):
    code, _, err = _run(capsys, *argv)
    assert code == 1
    assert err.strip() == message or err.startswith(message)


def test_missing_warehouse_says_what_to_do(capsys, joblens_home):
    code, _, err = _run(capsys, "report", "--kind", "summary")
    assert code == 1 and "run `joblens refresh` first" in err


def test_dashboard_from_the_home_folder_shadows_nothing_and_renders(capsys, warehouse, joblens_home):
    folder = joblens_home.root / "dashboards"
    folder.mkdir()
    (folder / "tiny.yaml").write_text("title: Tiny\nsections:\n  - title: Runs\n    sql: select count(*) as runs from fct_runs\n    chart: number\n")
    code, out, _ = _run(capsys, "dashboard", "tiny", "--format", "html")
    assert code == 0
    html = (joblens_home.reports / "dashboards" / "tiny.html").read_text()
    assert "<h1>Tiny</h1>" in html and ">864<" in html


@pytest.mark.slow
def test_joblens_command_end_to_end(warehouse, joblens_home):
    joblens = Path(sys.executable).with_name("joblens")
    env = {**os.environ, "JOBLENS_HOME": str(joblens_home.root)}
    done = subprocess.run([str(joblens), "dashboard", "model_spend", "--param", "days=7"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (joblens_home.reports / "dashboards" / "model_spend.pdf").exists()
    bad = subprocess.run([str(joblens), "report", "--kind", "weather"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: unknown report kind 'weather'; kinds are: summary, reliability, performance, cost"
