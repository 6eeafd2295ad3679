"""The Dagster instance JobLens runs on: ``DAGSTER_HOME`` and its ``dagster.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.home import Home, dagster_home

# SQLite storage in DAGSTER_HOME by default; point `storage` at Postgres for production.
DEFAULT_INSTANCE_CONFIG: dict = {
    "telemetry": {"enabled": False},
    "run_monitoring": {"enabled": True, "poll_interval_seconds": 30},
}


def ensure_dagster_home(home: Home) -> Path:
    """Create ``DAGSTER_HOME`` with JobLens's ``dagster.yaml`` unless one is already there."""
    path = dagster_home(home)
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(yaml.safe_dump(DEFAULT_INSTANCE_CONFIG, sort_keys=False))
    return path


def open_instance(home: Home):
    """A ``DagsterInstance`` on JobLens's ``DAGSTER_HOME``; one clear error if it cannot open."""
    from dagster import DagsterInstance

    from pipelines.errors import JoblensError

    path = ensure_dagster_home(home)
    try:
        return DagsterInstance.from_config(str(path))
    except Exception as exc:  # Dagster raises many types for a bad dagster.yaml or storage
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise JoblensError(f"cannot open the Dagster instance in {path}: {first}") from None
