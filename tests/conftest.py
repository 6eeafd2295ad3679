"""Every test runs against its own JobLens home and Dagster home under tmp_path."""

from __future__ import annotations

import pytest

from pipelines.home import Home, resolve_home


@pytest.fixture(autouse=True)
def joblens_home(tmp_path, monkeypatch) -> Home:
    home = resolve_home(tmp_path / "home")
    monkeypatch.setenv("JOBLENS_HOME", str(home.root))
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster))
    monkeypatch.delenv("JOBLENS_CRASH_AT", raising=False)
    return home.ensure()
