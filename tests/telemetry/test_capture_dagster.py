"""Capture of real Dagster runs on a persisted instance: the exact rows that land.

The jobs live in this file; ``execute_job`` reloads them from it by path, the way a run
worker loads a code location.
"""

from __future__ import annotations

import os

import dagster as dg
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob

from pipelines.home import resolve_home
from pipelines.lake.reader import connect
from pipelines.telemetry.capture import capture

WAIT_S = 0.05
JOB_TAGS = {"joblens/team": "data", "joblens/job_type": "workflow", "dagster/priority": "3"}


@dg.op(retry_policy=dg.RetryPolicy(max_retries=2, delay=WAIT_S, backoff=dg.Backoff.EXPONENTIAL))
def fetch(context):
    context.log.warning(f"fetch attempt {context.retry_number + 1}")
    if context.retry_number == 0:
        raise ConnectionError("connection reset by peer 10.1.2.3:443")
    return 1


@dg.op
def validate(context, rows):
    if os.environ.get("CAPTURE_TEST_FIXED") != "1":
        raise ValueError("row 42 has no id; password=hunter2")
    context.log.info("validated")


@dg.job(executor_def=dg.in_process_executor, tags=JOB_TAGS)
def ingest_job():
    validate(fetch())


@dg.op
def long_task(context):
    # what a run worker does when its run is terminated: the run is CANCELING, the step interrupted
    context.instance.report_run_canceling(context.instance.get_run_by_id(context.run_id))
    raise dg.DagsterExecutionInterruptedError("terminated by user")


@dg.job(executor_def=dg.in_process_executor)
def cancel_job():
    long_task()


@dg.op(out=dg.Out(is_required=False))
def maybe_rows(context):
    context.log.info("no new rows today")
    yield from ()  # no output: the step depending on it is skipped


@dg.op
def load_rows(context, rows):
    context.log.info(f"loading {rows}")


@dg.job(executor_def=dg.in_process_executor)
def skip_job():
    load_rows(maybe_rows())


def in_file(name: str):
    return ReconstructableJob.for_file(__file__, name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One instance holding a failed run with a retried step, its re-execution, and two cancelled runs."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    home = resolve_home(tmp_path_factory.mktemp("instance"))
    os.environ.pop("CAPTURE_TEST_FIXED", None)
    with _instance(home) as instance:
        failed = dg.execute_job(in_file("ingest_job"), instance=instance, raise_on_error=False)
        os.environ["CAPTURE_TEST_FIXED"] = "1"
        try:
            options = dg.ReexecutionOptions.from_failure(failed.run_id, instance)
            retried = dg.execute_job(in_file("ingest_job"), instance=instance, reexecution_options=options)
        finally:
            os.environ.pop("CAPTURE_TEST_FIXED", None)
        cancelled = cancel_job.execute_in_process(instance=instance, raise_on_error=False)
        queued = instance.create_run_for_job(
            ingest_job, tags={"dagster/schedule_name": "nightly", "dagster/partition": "2026-03-01"},
            remote_job_origin=remote_origin("ingest_job"),
        )
        enqueued = DagsterEvent(event_type_value=DagsterEventType.RUN_ENQUEUED.value, job_name=queued.job_name)
        instance.report_dagster_event(enqueued, run_id=queued.run_id)
        starting = DagsterEvent(event_type_value=DagsterEventType.RUN_STARTING.value, job_name=queued.job_name)
        instance.report_dagster_event(starting, run_id=queued.run_id)
        instance.report_run_canceled(instance.get_run_by_id(queued.run_id), message="cancelled while queued")
        skipped = skip_job.execute_in_process(instance=instance)
        yield {"instance": instance, "failed": failed.run_id, "retried": retried.run_id,
               "cancelled": cancelled.run_id, "queued": queued.run_id, "skipped": skipped.run_id}


def remote_origin(job_name: str):
    """The origin a queued run needs: this file as an in-process code location."""
    from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=__file__), location_name="capture_tests")
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), job_name)


def _instance(home):
    from contextlib import contextmanager

    from pipelines.instance import open_instance

    @contextmanager
    def opened():
        instance = open_instance(home)
        try:
            yield instance
        finally:
            instance.dispose()

    return opened()


def rows(home, sql):
    con = connect(home.lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_retried_step_and_failed_run(runs, joblens_home):
    capture(runs["instance"], joblens_home)
    run_id = runs["failed"]
    assert rows(joblens_home, f"select status, dagster_event, job_name, job_type, team, trigger, priority, "
                              f"parent_run_id from runs where run_id = '{run_id}' order by ts") == [
        ("running", "RUN_START", "ingest_job", "workflow", "data", "manual", 3, None),
        ("failed", "RUN_FAILURE", "ingest_job", "workflow", "data", "manual", 3, None),
    ]
    steps = rows(joblens_home, f"select step_key, attempt, status, error_code, wait_before_s, "
                               f"duration_s is not null, started_at is not null from steps "
                               f"where run_id = '{run_id}' order by ts")
    assert steps == [
        ("fetch", 1, "started", None, None, False, True),
        ("fetch", 1, "up_for_retry", "network", None, True, True),
        ("fetch", 2, "started", None, WAIT_S, False, True),
        ("fetch", 2, "completed", None, None, True, True),
        ("validate", 1, "started", None, None, False, True),
        ("validate", 1, "failed", "data_validation", None, True, True),
    ]
    errors = rows(joblens_home, f"select step_key, attempt, error_class, error_code, transient, message, "
                                f"redacted_fields, stack_trace like '%test_capture_dagster.py%', length(signature) "
                                f"from errors where run_id = '{run_id}' order by ts")
    assert errors == [
        ("fetch", 1, "ConnectionError", "network", True, "connection reset by peer 10.1.2.3:443",
         [], True, 16),
        ("validate", 1, "ValueError", "data_validation", False, "row 42 has no id; password=[REDACTED:assignment]",
         ["message", "stack_trace"], True, 16),
    ]
    assert rows(joblens_home, f"select step_key, level, message from logs where run_id = '{run_id}' order by ts") == [
        ("fetch", "warning", "fetch attempt 1"),
        ("fetch", "warning", "fetch attempt 2"),
    ]


def test_reexecution_from_failure_links_parent_and_root(runs, joblens_home):
    capture(runs["instance"], joblens_home)
    parent, run_id = runs["failed"], runs["retried"]
    assert rows(joblens_home, f"select status, trigger, trigger_source, parent_run_id, root_run_id, team "
                              f"from runs where run_id = '{run_id}' order by ts") == [
        ("running", "retry", parent, parent, parent, "data"),
        ("completed", "retry", parent, parent, parent, "data"),
    ]
    assert rows(joblens_home, f"select step_key, attempt, status from steps where run_id = '{run_id}' order by ts") == [
        ("validate", 1, "started"),
        ("validate", 1, "completed"),
    ]
    assert rows(joblens_home, f"select count(*) from errors where run_id = '{run_id}'") == [(0,)]


def test_cancelled_runs(runs, joblens_home):
    capture(runs["instance"], joblens_home)
    run_id = runs["cancelled"]
    assert rows(joblens_home, f"select status, dagster_event, job_type, trigger from runs "
                              f"where run_id = '{run_id}' order by ts") == [
        ("running", "RUN_START", "unknown", "manual"),
        ("cancelled", "RUN_CANCELING", "unknown", "manual"),
        ("cancelled", "RUN_CANCELED", "unknown", "manual"),
    ]
    assert rows(joblens_home, f"select step_key, attempt, status, error_code from steps "
                              f"where run_id = '{run_id}' and status <> 'started'") == [
        ("long_task", 1, "cancelled", "cancelled")]
    assert rows(joblens_home, f"select status, trigger, trigger_source, partition, message from runs "
                              f"where run_id = '{runs['queued']}' order by ts") == [
        ("queued", "schedule", "nightly", "2026-03-01", None),
        ("preparing", "schedule", "nightly", "2026-03-01", None),
        ("cancelled", "schedule", "nightly", "2026-03-01", "cancelled while queued"),
    ]


def test_every_event_is_captured_once_across_passes(runs, joblens_home):
    first = capture(runs["instance"], joblens_home)
    assert first.runs == 5 and first.open_runs == 0
    second = capture(runs["instance"], joblens_home)
    assert (second.runs, second.events, sum(second.rows.values())) == (0, 0, 0)
    counts = rows(joblens_home, "select count(*), count(distinct id) from steps")
    assert counts == [(13, 13)]  # 6 + 2 + 2 + 3
    tags = rows(joblens_home, f"select tags from runs where run_id = '{runs['failed']}' limit 1")[0][0]
    assert '"joblens/team": "data"' in tags


def test_skipped_step(runs, joblens_home):
    capture(runs["instance"], joblens_home)
    assert rows(joblens_home, f"select step_key, attempt, status, started_at is null, duration_s > 0 from steps "
                              f"where run_id = '{runs['skipped']}' order by ts") == [
        ("maybe_rows", 1, "started", False, None),
        ("maybe_rows", 1, "completed", False, True),
        ("load_rows", 1, "skipped", True, None),
    ]
