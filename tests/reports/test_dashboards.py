"""Custom dashboards: the shipped examples render; every mistake names the file and the section."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from reports.dashboards import build_dashboard, load_dashboard, resolve_params
from reports.errors import ReportError
from reports.model import Chart, Metric, Note, Table
from reports.render import render_html
from reports.warehouse import open_warehouse

SHIPPED = Path(str(resources.files("reports").joinpath("dashboards")))


def _render(path: Path, warehouse: Path, now, overrides=None):
    dashboard = load_dashboard(path)
    with open_warehouse(warehouse) as con:
        return build_dashboard(con, dashboard, resolve_params(dashboard, overrides or {}), now)


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["model_spend", "job_health"])
def test_shipped_dashboards_render(name, warehouse, data):
    report = _render(SHIPPED / f"{name}.yaml", warehouse, data.NOW)
    blocks = [b for s in report.sections for b in s.blocks]
    assert any(isinstance(b, Chart) for b in blocks)
    html = render_html(report)
    assert report.title in html and "Parameters" in html


def test_parameters_are_bound_and_typed(warehouse, data):
    report = _render(SHIPPED / "model_spend.yaml", warehouse, data.NOW, {"days": "7"})
    total = next(b for s in report.sections for b in s.blocks if isinstance(b, Metric))
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    expected = con.execute("select sum(cost_usd) from agg_cost_daily where day > date '2026-11-28' - 7").fetchone()[0]
    con.close()
    assert total.value == pytest.approx(expected)
    assert report.facts["Parameters"] == "days = 7"


def test_a_parameter_value_cannot_inject_sql(warehouse, data):
    report = _render(SHIPPED / "job_health.yaml", warehouse, data.NOW, {"job_type": "x' or 1=1 --"})
    table = next(b for s in report.sections for b in s.blocks if isinstance(b, Table))
    assert table.rows == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("title: x\nsections: [{title: A, sql: select 1, chart: pie}]", "section 'A' field 'chart'"),
        ("title: x\nsections: [{title: A, chart: table}]", "section 'A': 'sql' is a required property"),
        ("title: x\nsections: [}", "not a readable YAML file"),
        ("title: x\nsections: [{title: Broken, sql: select * from no_such_table, chart: table}]", "section 'Broken': query failed: Catalog Error"),
        ("title: x\nsections: [{title: Cols, sql: select day from agg_job_daily, chart: line, x: day, y: runs}]", "section 'Cols': unknown column 'runs'; the query returns: day"),
        ("title: x\nsections: [{title: NoY, sql: select day from agg_job_daily, chart: bar, x: day}]", "section 'NoY': a bar chart needs 'y'"),
    ],
)
def test_dashboard_errors_name_file_and_section(text, message, tmp_path, warehouse, data):
    path = _write(tmp_path, text)
    with pytest.raises(ReportError) as error:
        _render(path, warehouse, data.NOW)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_unknown_parameter_is_rejected(warehouse, data):
    with pytest.raises(ReportError, match="unknown parameter nope; parameters are: days"):
        _render(SHIPPED / "model_spend.yaml", warehouse, data.NOW, {"nope": "1"})


def test_a_one_point_line_becomes_a_table(tmp_path, warehouse, data):
    path = _write(tmp_path, (
        "title: One day\nsections:\n  - title: Runs\n    sql: select day, sum(runs) as runs from agg_job_daily "
        "where day = date '2026-11-28' group by day\n    chart: line\n    x: day\n    y: runs\n"
    ))
    blocks = _render(path, warehouse, data.NOW).sections[0].blocks
    assert isinstance(blocks[0], Note) and isinstance(blocks[1], Table)
    assert blocks[1].rows[0]["runs"] == 14


def test_dashboard_values_are_escaped_in_tables_and_charts(warehouse, data):
    report = _render(SHIPPED / "job_health.yaml", warehouse, data.NOW)  # the fixture has a job named <script>…
    for static in (False, True):
        html = render_html(report, static_charts=static)
        assert "<script>alert(1)" not in html
    assert "\\u003cscript\\u003ealert(1)" in render_html(report)  # inside the chart's JSON data
