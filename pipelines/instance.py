"""The Dagster instance JobLens runs on: ``DAGSTER_HOME`` and its ``dagster.yaml``.

The generated ``dagster.yaml`` sets up:

- the queued run coordinator (``pipelines.jobs.run_queue``, Dagster's own plus a pause
  switch) with a global ``max_concurrent_runs`` and a tag concurrency limit per
  ``joblens/job_type``, plus one compaction run at a time (``joblens/pool``);
- run monitoring, which fails runs past their ``dagster/max_runtime`` tag; every JobLens
  job carries that tag from ``job_type_tags`` (a max runtime per job type);
- concurrency pools with a default of one slot: the ``lake_compaction`` pool is the
  single writer of the lake's ``tables/``;
- SQLite storage in ``DAGSTER_HOME``, or Postgres when ``JOBLENS_DAGSTER_PG_URL`` is set
  when the file is generated (the file names the variable, never the URL itself). With
  SQLAlchemy 2.1 a bare ``postgresql://`` URL means psycopg 3; the installed driver is
  psycopg2, so write ``postgresql+psycopg2://user@host:5432/db``. Another form is refused
  with one line naming the variable and that form, before Dagster opens the storage.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.home import Home, dagster_home

PG_URL_ENV = "JOBLENS_DAGSTER_PG_URL"
COMPACTION_POOL = "lake_compaction"

JOB_TYPE_TAG = "joblens/job_type"
POOL_TAG = "joblens/pool"
MAX_RUNTIME_TAG = "dagster/max_runtime"
PRIORITY_TAG = "dagster/priority"

# Long enough for a normal run of each kind; past it run monitoring cancels and fails the run.
JOB_TYPE_MAX_RUNTIME_S: dict[str, int] = {"workflow": 3600, "knowledge": 4 * 3600, "system": 2 * 3600}
# Runs of each kind in progress at once; knowledge runs share one DuckDB file, so one at a time.
JOB_TYPE_CONCURRENCY: dict[str, int] = {"workflow": 4, "knowledge": 1, "system": 2}


@dataclass(frozen=True)
class InstanceSettings:
    """The knobs of the generated ``dagster.yaml``."""

    max_concurrent_runs: int = 6
    job_type_concurrency: dict[str, int] = field(default_factory=lambda: dict(JOB_TYPE_CONCURRENCY))
    dequeue_interval_seconds: int = 2
    monitoring_poll_interval_seconds: int = 30
    start_timeout_seconds: int = 300
    cancel_timeout_seconds: int = 180
    postgres_url_env: str | None = None  # set → Postgres storage read from that variable


def settings_from_env() -> InstanceSettings:
    """Defaults, with Postgres storage when ``JOBLENS_DAGSTER_PG_URL`` is set (read at call time)."""
    return InstanceSettings(postgres_url_env=PG_URL_ENV if os.environ.get(PG_URL_ENV) else None)


def instance_config(settings: InstanceSettings | None = None) -> dict:
    """The content of JobLens's ``dagster.yaml`` as a dict."""
    settings = settings or settings_from_env()
    limits = [
        {"key": JOB_TYPE_TAG, "value": job_type, "limit": limit}
        for job_type, limit in settings.job_type_concurrency.items()
    ]
    limits.append({"key": POOL_TAG, "value": COMPACTION_POOL, "limit": 1})
    config: dict = {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "pipelines.jobs.run_queue",
            "class": "JoblensRunCoordinator",
            "config": {
                "max_concurrent_runs": settings.max_concurrent_runs,
                "tag_concurrency_limits": limits,
                "dequeue_interval_seconds": settings.dequeue_interval_seconds,
            },
        },
        "run_monitoring": {
            "enabled": True,
            "poll_interval_seconds": settings.monitoring_poll_interval_seconds,
            "start_timeout_seconds": settings.start_timeout_seconds,
            "cancel_timeout_seconds": settings.cancel_timeout_seconds,
        },
        "concurrency": {"pools": {"default_limit": 1}},
    }
    if settings.postgres_url_env:
        config["storage"] = {"postgres": {"postgres_url": {"env": settings.postgres_url_env}}}
    return config


def job_type_tags(job_type: str, priority: int | None = None, team: str | None = None) -> dict[str, str]:
    """The Dagster tags every JobLens job of ``job_type`` carries (type, max runtime, priority, team)."""
    from pipelines.errors import JoblensError

    if job_type not in JOB_TYPE_MAX_RUNTIME_S:
        raise JoblensError(f"unknown job type {job_type!r}; types are: {', '.join(JOB_TYPE_MAX_RUNTIME_S)}")
    tags = {JOB_TYPE_TAG: job_type, MAX_RUNTIME_TAG: str(JOB_TYPE_MAX_RUNTIME_S[job_type])}
    if priority is not None:
        tags[PRIORITY_TAG] = str(int(priority))
    if team:
        tags["joblens/team"] = team
    return tags


@contextmanager
def _setup_lock(path: Path) -> Iterator[None]:
    """Held while a process writes ``dagster.yaml`` or opens the instance's storage.

    Dagster creates a fresh SQLite storage without a lock of its own: two processes opening a
    new ``DAGSTER_HOME`` at once both create the tables and both stamp the schema version,
    and every later open fails on "more than one head". JobLens processes wait here instead.
    """
    with open(path / ".joblens-setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_dagster_home(home: Home) -> Path:
    """Create ``DAGSTER_HOME`` with JobLens's ``dagster.yaml`` unless one is already there;
    when it reads ``$JOBLENS_DAGSTER_PG_URL``, that URL must name a driver that is installed."""
    from pipelines.lake.files import publish

    path = dagster_home(home)
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        text = yaml.safe_dump(instance_config(), sort_keys=False)
        with _setup_lock(path):
            if not config.exists():
                publish(config, lambda tmp: tmp.write_text(text))
    if PG_URL_ENV in config.read_text():
        problem = postgres_url_problem(os.environ.get(PG_URL_ENV, ""))
        if problem:
            from pipelines.errors import JoblensError

            raise JoblensError(f"{config}: {problem}")
    return path


def postgres_url_problem(url: str) -> str | None:
    """Why Dagster's Postgres storage cannot use ``url`` with the installed drivers, or None.
    The message never repeats the URL past its scheme: it may hold a password."""
    from importlib.util import find_spec

    fix = "write it as postgresql+psycopg2://user[:password]@host:5432/database"
    if not url:
        return f"${PG_URL_ENV} is not set; {fix}"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "postgresql+psycopg2" or (scheme in ("postgresql", "postgresql+psycopg") and find_spec("psycopg")):
        return None
    if scheme in ("postgresql", "postgresql+psycopg"):
        return f"${PG_URL_ENV}: {scheme}:// means the psycopg 3 driver, which is not installed; {fix}"
    return f"${PG_URL_ENV}: {scheme + '://' if scheme else 'that value'} is not a PostgreSQL URL Dagster can use; {fix}"


def open_instance(home: Home):
    """A ``DagsterInstance`` on JobLens's ``DAGSTER_HOME``; one clear error if it cannot open."""
    from dagster import DagsterInstance

    from pipelines.errors import JoblensError

    path = ensure_dagster_home(home)
    with _setup_lock(path):
        try:
            instance = DagsterInstance.from_config(str(path))
        except Exception as exc:  # Dagster raises many types for a bad dagster.yaml or storage
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise JoblensError(f"cannot open the Dagster instance in {path}: {first}") from None
        ensure_compaction_pool(instance)
    return instance


def ensure_compaction_pool(instance) -> None:
    """Give the compaction pool its one slot explicitly, so a changed default cannot widen it."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return
    if COMPACTION_POOL not in storage.get_concurrency_keys():
        storage.set_concurrency_slots(COMPACTION_POOL, 1)


def ensure_workspace(home: Home) -> Path:
    """``workspace.yaml`` in ``DAGSTER_HOME``: the JobLens code location, named as in pyproject.toml."""
    path = ensure_dagster_home(home) / "workspace.yaml"
    workspace = {"load_from": [{"python_module": {"module_name": "pipelines.definitions", "location_name": "joblens"}}]}
    text = yaml.safe_dump(workspace, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        from pipelines.lake.files import publish

        publish(path, lambda tmp: tmp.write_text(text))
    return path
