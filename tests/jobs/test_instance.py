"""The generated dagster.yaml: queued coordinator, limits per job type, monitoring, pools, Postgres, pause."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from pipelines.errors import JoblensError
from pipelines.instance import COMPACTION_POOL, ensure_dagster_home, job_type_tags, open_instance
from pipelines.jobs.run_queue import JoblensRunCoordinator, queue_pause_state, set_queue_paused


def test_generated_instance_queues_runs_with_limits_per_job_type(joblens_home):
    instance = open_instance(joblens_home)
    assert isinstance(instance.run_coordinator, JoblensRunCoordinator)
    queue = instance.get_concurrency_config().run_queue_config
    limits = {(l["key"], l["value"]): l["limit"] for l in queue.tag_concurrency_limits}
    assert limits[("joblens/job_type", "knowledge")] == 1
    assert limits[("joblens/pool", COMPACTION_POOL)] == 1
    assert {v for k, v in limits if k == "joblens/job_type"} == {"workflow", "knowledge", "system"}
    assert queue.max_concurrent_runs > 1
    assert instance.run_monitoring_enabled
    assert instance.event_log_storage.get_concurrency_info(COMPACTION_POOL).slot_count == 1


def test_pause_switch_stops_the_queue_from_launching(joblens_home):
    instance = open_instance(joblens_home)
    set_queue_paused(instance, True, "ana", "outage")
    assert queue_pause_state(instance)["actor"] == "ana"
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 0
    set_queue_paused(instance, False, "ana")
    assert queue_pause_state(instance) is None
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs > 0


def test_job_type_tags_carry_max_runtime_and_priority():
    tags = job_type_tags("system", priority=5, team="platform")
    assert tags == {"joblens/job_type": "system", "dagster/max_runtime": "7200", "dagster/priority": "5",
                    "joblens/team": "platform"}
    with pytest.raises(JoblensError, match="unknown job type 'batch'"):
        job_type_tags("batch")


def test_existing_dagster_yaml_is_left_alone(joblens_home):
    path = joblens_home.dagster / "dagster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(joblens_home)
    assert path.read_text() == "telemetry:\n  enabled: false\n"


@pytest.mark.postgres
def test_postgres_storage_selected_by_env(joblens_home, monkeypatch):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    admin.autocommit = True
    name = f"joblens_instance_{uuid.uuid4().hex[:8]}"
    admin.cursor().execute(f"create database {name}")
    try:
        monkeypatch.setenv("JOBLENS_DAGSTER_PG_URL", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}")
        ensure_dagster_home(joblens_home)
        written = yaml.safe_load((joblens_home.dagster / "dagster.yaml").read_text())
        assert written["storage"] == {"postgres": {"postgres_url": {"env": "JOBLENS_DAGSTER_PG_URL"}}}
        instance = open_instance(joblens_home)
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        set_queue_paused(instance, True, "ana")
        assert queue_pause_state(instance)["actor"] == "ana"
        instance.dispose()
    finally:
        admin.cursor().execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.mark.parametrize("url, said", [
    ("postgresql://ana:s3cret@127.0.0.1:5432/dagster", "postgresql:// means the psycopg 3 driver, which is not installed"),
    ("postgres://ana:s3cret@127.0.0.1/dagster", "postgres:// is not a PostgreSQL URL Dagster can use"),
    ("ana:s3cret@127.0.0.1/dagster", "that value is not a PostgreSQL URL Dagster can use"),
])
def test_a_postgres_url_dagster_cannot_use_is_one_line_naming_the_variable(joblens_home, monkeypatch, url, said):
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg"):
        pytest.skip("psycopg 3 is installed here, so postgresql:// is usable")
    monkeypatch.setenv("JOBLENS_DAGSTER_PG_URL", url)
    with pytest.raises(JoblensError) as raised:
        open_instance(joblens_home)
    message = str(raised.value)
    assert message.count("\n") == 0 and "s3cret" not in message
    assert message.startswith(f"{joblens_home.dagster / 'dagster.yaml'}: $JOBLENS_DAGSTER_PG_URL")
    assert said in message and "postgresql+psycopg2://" in message
    # the yaml was written and names the variable only; nothing was opened
    assert "s3cret" not in (joblens_home.dagster / "dagster.yaml").read_text()
    monkeypatch.setenv("JOBLENS_DAGSTER_PG_URL", "postgresql+psycopg2://ana@127.0.0.1:5432/dagster")
    assert ensure_dagster_home(joblens_home) == joblens_home.dagster


OPENER = """
import sys, time
from pathlib import Path
from pipelines.home import resolve_home
from pipelines.instance import open_instance

go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
open_instance(resolve_home()).dispose()
"""


def test_processes_opening_a_new_home_at_once_leave_one_storage_version(joblens_home, tmp_path):
    # Dagster's SQLite storage has no lock of its own around creating its tables: openers
    # racing on a new DAGSTER_HOME each stamped a schema version, and every later open failed.
    script = tmp_path / "opener.py"
    script.write_text(OPENER)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(script), str(go)], stderr=subprocess.PIPE) for _ in range(4)]
    time.sleep(3.0)  # every opener imported and waiting
    go.touch()
    failures = [p.communicate(timeout=120)[1].decode()[-300:] for p in procs if p.wait(timeout=120) != 0]
    assert failures == []
    for db in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        with sqlite3.connect(joblens_home.dagster / db) as con:
            assert con.execute("select count(*) from alembic_version").fetchone() == (1,), db
    open_instance(joblens_home).dispose()
