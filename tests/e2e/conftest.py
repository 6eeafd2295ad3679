"""The home ``joblens demo`` makes, built once per test session at a reduced size.

Under pytest-xdist the workers share it: the first to take the lock runs the demo, the
others wait and read its summary. Tests only read this home, though other tests may run
``joblens ui`` on it, whose sensors add to it; a test that changes a home (a second demo)
works on a copy of the snapshot taken before any test saw it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import pytest

from pipelines.demo.summary import DemoSummary
from pipelines.home import Home, resolve_home

DEMO_SIZE = {"days": 7, "runs_per_day": 20, "seed": 7}


def demo_settings(home: Home) -> dict[str, str]:
    """The variables a demo in ``home`` runs under: its own homes, the shipped channels."""
    return {"JOBLENS_HOME": str(home.root), "DAGSTER_HOME": str(home.dagster)}


def run_demo_in(home: Home) -> DemoSummary:
    from pipelines.demo import run_demo

    with pytest.MonkeyPatch.context() as patch:
        for name, value in demo_settings(home).items():
            patch.setenv(name, value)
        return run_demo(home, progress=False, **DEMO_SIZE)


def _shared_folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # xdist workers each get basetemp/popen-gwN under one session folder: share that one.
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> tuple[Home, DemoSummary]:
    """(home, summary) of one demo run; read-only for the tests."""
    folder = _shared_folder(tmp_path_factory)
    home = resolve_home(folder / "home")
    summary_file = folder / "summary.json"
    with open(folder / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not summary_file.exists():
            summary = run_demo_in(home)
            shutil.copytree(home.root, folder / "snapshot", symlinks=True)
            summary_file.write_text(json.dumps(summary.to_dict(), default=str))
    return home, DemoSummary.from_dict(json.loads(summary_file.read_text()))


@pytest.fixture(scope="session")
def demo_snapshot(demo_home) -> Path:
    """A copy of the demo's home as the demo left it; copy it again before changing it."""
    home, _ = demo_home
    return home.root.parent / "snapshot"


@pytest.fixture(autouse=True)
def demo_environment(request, monkeypatch) -> None:
    """A test of the demo's home sees it as a user does after ``joblens demo``: JOBLENS_HOME
    and DAGSTER_HOME point at it (over the per-test homes of tests/conftest.py)."""
    if "demo_home" not in request.fixturenames:
        return
    home, _ = request.getfixturevalue("demo_home")
    for name, value in demo_settings(home).items():
        monkeypatch.setenv(name, value)
