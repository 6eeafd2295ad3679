"""Fixtures of the telemetry tests: a lake and a telemetry resource writing to it."""

from __future__ import annotations

import pytest

from pipelines.lake.reader import connect
from pipelines.telemetry.resource import TelemetryResource


@pytest.fixture
def lake(joblens_home):
    return joblens_home.lake


@pytest.fixture
def telemetry(lake) -> TelemetryResource:
    return TelemetryResource(lake_dir=str(lake), mirror_to_dagster_log=False)


@pytest.fixture
def query(lake):
    """Run SQL over the lake views; returns the rows."""

    def run(sql: str, *params):
        con = connect(lake)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    return run
