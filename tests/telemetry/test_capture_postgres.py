"""Capture reads a PostgreSQL-backed instance exactly as it reads SQLite: through the instance API."""

from __future__ import annotations

import uuid

import dagster as dg
import pytest
import yaml

from pipelines.lake.reader import connect
from pipelines.telemetry.capture import capture

pytestmark = pytest.mark.postgres

# SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; dagster-postgres ships psycopg2.
PG = {"hostname": "127.0.0.1", "port": 5432, "username": "postgres", "db_name": "test", "scheme": "postgresql+psycopg2"}


@dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
def wobbly(context):
    context.log.error("upstream said 503")
    if context.retry_number == 0:
        raise RuntimeError("503 Service Unavailable from https://api.example.com/v1")


@dg.job(executor_def=dg.in_process_executor, tags={"joblens/job_type": "system"})
def pg_job():
    wobbly()


@pytest.fixture
def pg_instance(tmp_path):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(connect_timeout=3, host=PG["hostname"], port=PG["port"], user=PG["username"],
                                 dbname=PG["db_name"])
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 (database test) is not reachable: {exc}".strip())
    admin.autocommit = True
    schema = f"joblens_capture_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'create schema "{schema}"')  # an identifier cannot be a bound parameter
    config = {"storage": {"postgres": {"postgres_db": {**PG, "params": {"options": f"-csearch_path={schema}"}}}},
              "telemetry": {"enabled": False}}
    home = tmp_path / "pg_dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = None
    try:
        instance = dg.DagsterInstance.from_config(str(home))
        yield instance
    finally:
        if instance is not None:
            instance.dispose()
        with admin.cursor() as cur:
            cur.execute(f'drop schema "{schema}" cascade')
        admin.close()


def test_capture_from_a_postgres_instance(pg_instance, joblens_home):
    first = pg_job.execute_in_process(instance=pg_instance)
    report = capture(pg_instance, joblens_home)
    assert report.runs == 1 and report.open_runs == 0
    second = pg_job.execute_in_process(instance=pg_instance)
    assert capture(pg_instance, joblens_home).runs == 1  # only the new run is read
    con = connect(joblens_home.lake)
    try:
        assert con.execute("select run_id, status, job_type from runs order by ts").fetchall() == [
            (first.run_id, "running", "system"), (first.run_id, "completed", "system"),
            (second.run_id, "running", "system"), (second.run_id, "completed", "system"),
        ]
        assert con.execute("select attempt, status, error_code from steps where run_id = ? order by ts",
                           [first.run_id]).fetchall() == [
            (1, "started", None), (1, "up_for_retry", "upstream_5xx"), (2, "started", None), (2, "completed", None)]
        assert con.execute("select count(*), count(distinct id) from logs where level = 'error'").fetchone() == (4, 4)
    finally:
        con.close()
    assert capture(pg_instance, joblens_home).events == 0
