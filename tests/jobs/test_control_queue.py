"""Queue behaviour through a persisted instance, JobLens's dagster.yaml and Dagster's queue daemon.

Runs are launched by the daemon's own dequeue iteration into run worker processes of a
gRPC code server (``queue_location.py``), as in production.
"""

from __future__ import annotations

import json

import dagster as dg
import pytest

from pipelines.jobs.control import pause_queue, reprioritize, resume_queue
from tests.jobs import queue_testkit as qk

pytestmark = pytest.mark.slow


NAP = {"ops": {"nap": {"config": {"seconds": 0.0}}}}


def test_pause_holds_runs_reprioritize_requeues_and_priority_order_is_honoured(joblens_home, monkeypatch):
    monkeypatch.setenv("USER", "oncall-ana")
    instance = qk.persisted_instance(joblens_home, max_concurrent_runs=1)
    with qk.workspace(instance) as context:
        pause_queue(instance, joblens_home.lake, "oncall-ana", "provider outage")
        low = qk.submit(context, "probe_job", NAP, {"dagster/priority": "0"})
        mid = qk.submit(context, "probe_job", NAP, {"dagster/priority": "5"})
        qk.tick_queue(context)
        assert qk.status(instance, low) == qk.status(instance, mid) == dg.DagsterRunStatus.QUEUED

        bumped = reprioritize(instance, joblens_home.lake, low, 10, "oncall-ana")
        assert qk.status(instance, low) == dg.DagsterRunStatus.CANCELED
        assert instance.get_run_by_id(bumped).tags["dagster/priority"] == "10"
        qk.tick_queue(context)
        assert qk.status(instance, bumped) == dg.DagsterRunStatus.QUEUED  # still held: the queue is paused

        resume_queue(instance, joblens_home.lake, "oncall-ana")
        launched = []
        for _ in range(2):
            qk.tick_queue(context)
            started = [r for r in (bumped, mid) if r not in launched and qk.status(instance, r) != dg.DagsterRunStatus.QUEUED]
            assert len(started) == 1, "the global limit of one lets exactly one run out per tick"
            launched += started
            assert qk.wait_for(instance, started[0], qk.FINISHED) == dg.DagsterRunStatus.SUCCESS
    assert launched == [bumped, mid]

    rows = qk.lake_rows(joblens_home.lake, "select run_id, fields from logs where kind = 'control' order by ts")
    actions = [(run_id, json.loads(fields)) for run_id, fields in rows]
    assert [a["action"] for _, a in actions] == ["pause", "reprioritize", "resume"]
    assert all(a["actor"] == "oncall-ana" for _, a in actions)
    assert actions[0][1]["reason"] == "provider outage" and actions[0][1]["queued_runs"] == 0
    assert actions[1][0] == low and actions[1][1]["new_run_id"] == bumped and actions[1][1]["priority"] == 10
    assert actions[2][1]["queued_runs"] == 2
    naps = qk.lake_rows(joblens_home.lake, "select distinct run_id from logs where message = 'napping'")
    assert {r[0] for r in naps} == {bumped, mid}  # the cancelled original never ran


def test_cancelled_knowledge_index_resumes_by_reexecution_skipping_finished_batches(joblens_home):
    from pipelines.jobs.control import cancel_run, retry_run
    from pipelines.jobs.knowledge.jobs import knowledge_index_job
    from pipelines.jobs.knowledge.store import KnowledgeStore, knowledge_path

    instance = qk.persisted_instance(joblens_home, max_concurrent_runs=2)
    store = KnowledgeStore(knowledge_path(joblens_home))
    config = {"ops": {"index_documents": {"config": {"batch_size": 3, "min_batch_interval_s": 1.5}}}}
    with qk.workspace(instance) as context:
        first = qk.submit(context, "knowledge_index", config)
        qk.tick_queue(context)
        qk.wait_until(lambda: len(qk.finished_batches(store, first)) >= 2, timeout=120)
        assert cancel_run(instance, joblens_home.lake, first, "ops-lee") in ("cancelled", "canceling")
        assert qk.wait_for(instance, first, qk.FINISHED) == dg.DagsterRunStatus.CANCELED
        done_before = qk.finished_batches(store, first)
        assert 2 <= len(done_before) < 7, "cancelled mid-run: some batches finished, not all"

        second = retry_run(instance, joblens_home.lake, first, "ops-lee", job_def=knowledge_index_job)
        resumed = instance.get_run_by_id(second)
        assert resumed.parent_run_id == first and resumed.root_run_id == first
        assert resumed.step_keys_to_execute == ["index_documents"]  # documents were discovered already
        qk.tick_queue(context)
        assert qk.wait_for(instance, second, qk.FINISHED, timeout=120) == dg.DagsterRunStatus.SUCCESS

    assert qk.finished_batches(store, first) == set(range(7))
    assert store.counts()["documents"] == 21
    skipped = qk.lake_rows(joblens_home.lake, "select fields from logs where run_id = ? and message like 'resuming index%'", second)
    assert json.loads(skipped[0][0])["skipped_batches"] == len(done_before)
    progress = qk.lake_rows(joblens_home.lake,
                            "select run_id, count(*) from logs where kind = 'progress' group by run_id", )
    by_run = dict(progress)
    assert by_run[second] == 7 - len(done_before)  # only the unfinished batches ran again
    controls = qk.lake_rows(joblens_home.lake, "select run_id, fields from logs where kind = 'control' order by ts")
    assert [json.loads(f)["action"] for _, f in controls] == ["cancel", "retry"]
    assert json.loads(controls[1][1])["new_run_id"] == second


def test_run_retry_waits_its_delay_and_skips_permanent_failures(joblens_home, tmp_path, monkeypatch):
    import time

    from pipelines.jobs.run_retry import RETRY_DECISION_TAG, process_failed_runs

    profiles = tmp_path / "profiles.yaml"
    profiles.write_text("profiles:\n  fast: {max_retries: 2, base_delay_s: 4, jitter: 0, max_delay_s: 30}\n")
    monkeypatch.setenv("JOBLENS_RETRY_PROFILES", str(profiles))
    location = qk.load_location()
    instance = qk.persisted_instance(joblens_home, max_concurrent_runs=2)
    with qk.workspace(instance) as context:
        flaky = qk.submit(context, "flaky_job")
        bad = qk.submit(context, "bad_data_job")
        qk.tick_queue(context)
        for run_id in (flaky, bad):
            assert qk.wait_for(instance, run_id, qk.FINISHED) == dg.DagsterRunStatus.FAILURE
        failed_at = instance.get_run_record_by_id(flaky).end_time

        decisions = {d.run_id: d for d in process_failed_runs(instance, joblens_home.lake, location.defs.resolve_job_def,
                                                              now=failed_at + 1.0)}
        assert decisions[flaky].action == "wait" and decisions[flaky].wait_s == 4.0
        assert decisions[bad].action == "not_transient" and decisions[bad].error_code == "data_validation"
        assert instance.get_runs_count(dg.RunsFilter(tags={"dagster/parent_run_id": flaky})) == 0

        time.sleep(max(0.0, failed_at + 4.05 - time.time()))
        sensor_context = dg.build_sensor_context(instance=instance, repository_def=location.defs.get_repository_def())
        from pipelines.jobs.run_retry import run_retry_sensor

        run_retry_sensor(sensor_context)
        retry = instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": flaky}))
        assert len(retry) == 1
        retry = retry[0]
        assert retry.root_run_id == flaky and retry.tags["joblens/trigger"] == "retry"
        assert retry.tags["joblens/run_attempt"] == "2" and float(retry.tags["joblens/retry_wait_s"]) == 4.0
        assert instance.get_run_by_id(flaky).tags[RETRY_DECISION_TAG] == f"launched:{retry.run_id}"
        launched_at = instance.get_run_record_by_id(retry.run_id).create_timestamp.timestamp()
        assert launched_at - failed_at >= 4.0
        qk.tick_queue(context)
        assert qk.wait_for(instance, retry.run_id, qk.FINISHED) == dg.DagsterRunStatus.SUCCESS
        assert process_failed_runs(instance, joblens_home.lake, location.defs.resolve_job_def) == []

    controls = qk.lake_rows(joblens_home.lake, "select run_id, fields from logs where kind = 'control'")
    by_run = {run_id: json.loads(fields) for run_id, fields in controls}
    assert by_run[flaky]["decision"] == "launch" and by_run[flaky]["new_run_id"] == retry.run_id
    assert by_run[bad]["decision"] == "not_transient" and by_run[bad]["error_code"] == "data_validation"
    errors = qk.lake_rows(joblens_home.lake, "select run_id, error_code, transient from errors")
    assert (flaky, "network", True) in errors
