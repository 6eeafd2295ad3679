"""The demo's environment: this home, the shipped workflows, offline models and channels.

Dagster resources, the run worker and the gRPC code server read ``JOBLENS_HOME`` and the
other settings when a run starts, from the environment, so the demo sets them for its
duration (and puts back what was there). The demo never reaches the network: model
calls use the local provider, notifications the shipped file channel, and requests to
the demo's own 127.0.0.1 server bypass any proxy.
"""

from __future__ import annotations

import os
import shutil
import warnings
from contextlib import contextmanager
from typing import Iterator

from pipelines.home import Home, dagster_home

# Dagster's console logger prints every event of a run; the event log keeps them all.
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
# What a fresh demo removes from a home; user configuration (dashboards/, alert_rules/) stays.
GENERATED = ("lake", "state", "reports", "alerts", "backups", "tmp", "warehouse.duckdb", "warehouse.duckdb.wal",
             "alerts.duckdb", "alerts.duckdb.wal", "knowledge.duckdb", "knowledge.duckdb.wal")


def demo_variables(home: Home) -> dict[str, str | None]:
    """The variables the demo runs with (None: unset)."""
    from alerting.transport import SHIPPED_CHANNELS
    from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS

    no_proxy = {v for v in (os.environ.get("NO_PROXY") or "").split(",") if v} | {"127.0.0.1", "localhost"}
    return {
        "JOBLENS_HOME": str(home.root),
        "DAGSTER_HOME": str(dagster_home(home)),
        "JOBLENS_WORKFLOWS": str(SHIPPED_WORKFLOWS),
        "JOBLENS_CHANNELS": str(SHIPPED_CHANNELS),
        "JOBLENS_LLM_PROVIDER": "local",
        "JOBLENS_KNOWLEDGE_DIR": None,
        "NO_PROXY": ",".join(sorted(no_proxy)),
        "no_proxy": ",".join(sorted(no_proxy)),
        # Beta and preview notices of Dagster APIs would bury the demo's output.
        "PYTHONWARNINGS": "ignore",
    }


@contextmanager
def demo_environment(home: Home) -> Iterator[None]:
    """Set the demo's variables and silence library warnings; restore both on the way out."""
    wanted = demo_variables(home)
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        _apply(wanted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _apply(saved)


def _apply(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def clear_home(home: Home) -> None:
    """Remove what JobLens generated in ``home``, and Dagster's history when it lives there."""
    for name in GENERATED:
        path = home.root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    dagster = dagster_home(home)
    if dagster.is_relative_to(home.root):  # never wipe a DAGSTER_HOME the user points elsewhere
        shutil.rmtree(dagster, ignore_errors=True)
