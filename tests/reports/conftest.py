"""Fixtures of the report tests: the fixture warehouse (built once, copied per test) and frozen time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest




@pytest.fixture(scope="session")
def data():
    """The test-data module: NOW, JOBS, SCRIPT_JOB, EMPTY_DAY, build_warehouse …"""
    from tests.reports import warehouse_data

    return warehouse_data


@pytest.fixture(scope="session")
def _built_warehouse(tmp_path_factory, data) -> Path:
    return data.build_warehouse(tmp_path_factory.mktemp("fixture") / "warehouse.duckdb")


@pytest.fixture
def warehouse(_built_warehouse, joblens_home) -> Path:
    """A private copy of the fixture warehouse at JOBLENS_HOME/warehouse.duckdb."""
    shutil.copyfile(_built_warehouse, joblens_home.warehouse)
    return joblens_home.warehouse


@pytest.fixture
def build(warehouse, data):
    """build(kind, period="weekly", **kw) -> Report over the fixture warehouse at frozen time."""
    from reports import build_report, resolve_period
    from reports.warehouse import open_warehouse

    def _build(kind: str, period: str = "weekly", since=None, until=None, team=None):
        chosen = resolve_period(period, data.NOW, since, until)
        with open_warehouse(warehouse) as con:
            return build_report(con, kind, chosen, data.NOW, team=team)

    return _build
