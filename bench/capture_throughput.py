"""``joblens capture`` throughput against the Dagster instance API alone.

A SQLite Dagster instance under a temporary folder gets ``--runs`` runs holding
``--events`` events in all (run status changes through the instance, step starts and
successes and log messages stored in bulk through the instance's event log storage, as
a run worker's would be). Then, from the same instance:

- baseline: the instance API alone returning every event, the way capture pages through
  them (``get_records_for_run``, pages of ``capture.PAGE``), best of ``--reps``;
- ``capture()`` into a fresh JobLens home (rows mapped, Parquet written, cursor saved),
  best of ``--reps``, each into its own home; and a second, incremental pass with
  nothing new.

Printed: events/s of each, and capture's time as a multiple of the API's.

    .venv/bin/python bench/capture_throughput.py [--events 100000] [--runs 10] [--reps 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.execution.plan.objects import StepSuccessData

from pipelines.home import resolve_home
from pipelines.instance import open_instance
from pipelines.telemetry.capture import PAGE, capture

LOGS_PER_STEP = 48  # + a start and a success: 50 events per step


@dg.op
def noop():
    pass


@dg.job
def bench_job():
    noop()


def fill(instance, runs: int, events: int) -> int:
    """Store ``events`` events over ``runs`` runs; the number actually stored."""
    per_run = events // runs
    stored = 0
    for r in range(runs):
        run = instance.create_run_for_job(bench_job, tags={"joblens/job_type": "system"})
        instance.report_dagster_event(_run_event(DagsterEventType.RUN_START, run), run_id=run.run_id)
        body = _step_events(run, per_run - 2, start=time.time() - 3600 + r)
        storage = instance.event_log_storage
        with storage.run_connection(run.run_id) as conn:  # one transaction per 10k rows, not one per event
            for i in range(0, len(body), 10_000):
                conn.execute(storage.prepare_insert_event_batch(body[i:i + 10_000]))
        instance.report_dagster_event(_run_event(DagsterEventType.RUN_SUCCESS, run), run_id=run.run_id)
        stored += len(body) + 2
    return stored


def _run_event(event_type, run) -> DagsterEvent:
    return DagsterEvent(event_type_value=event_type.value, job_name=run.job_name)


def _step_events(run, count: int, start: float) -> list[EventLogEntry]:
    out: list[EventLogEntry] = []
    step = 0
    while len(out) < count:
        key = f"step_{step}"
        out.append(_entry(run, key, start + len(out) / 1000, DagsterEventType.STEP_START))
        for i in range(min(LOGS_PER_STEP, count - len(out) - 1)):
            out.append(EventLogEntry(error_info=None, level=20, user_message=f"processed batch {i} of {key}",
                                     run_id=run.run_id, timestamp=start + len(out) / 1000, step_key=key,
                                     job_name=run.job_name))
        out.append(_entry(run, key, start + len(out) / 1000, DagsterEventType.STEP_SUCCESS, StepSuccessData(12.5)))
        step += 1
    return out[:count]


def _entry(run, key, ts, event_type, data=None) -> EventLogEntry:
    event = DagsterEvent(event_type_value=event_type.value, job_name=run.job_name, step_key=key,
                         event_specific_data=data)
    return EventLogEntry(error_info=None, level=10, user_message="", run_id=run.run_id, timestamp=ts,
                         step_key=key, job_name=run.job_name, dagster_event=event)


def api_only(instance) -> tuple[float, int]:
    """Seconds for the instance API to return every event of every run, and how many."""
    started = time.perf_counter()
    total = 0
    for record in instance.get_run_records():
        cursor = None
        while True:
            page = instance.get_records_for_run(record.dagster_run.run_id, cursor=cursor, limit=PAGE)
            total += len(page.records)
            cursor = page.cursor
            if not page.has_more:
                break
    return time.perf_counter() - started, total


def timed_capture(instance, root: Path) -> tuple[float, float, int]:
    home = resolve_home(root).ensure()
    started = time.perf_counter()
    report = capture(instance, home, recover=False)
    first = time.perf_counter() - started
    started = time.perf_counter()
    capture(instance, home, recover=False)
    return first, time.perf_counter() - started, report.events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="joblens-bench-") as tmp:
        instance = open_instance(resolve_home(Path(tmp) / "instance"))
        started = time.perf_counter()
        stored = fill(instance, args.runs, args.events)
        print(f"instance: {stored:,} events in {args.runs} runs, stored in {time.perf_counter() - started:.1f} s")
        api = min(api_only(instance) for _ in range(args.reps))
        runs = [timed_capture(instance, Path(tmp) / f"home{i}") for i in range(args.reps)]
        cap, incremental, events = min(runs)
        instance.dispose()
    assert events == api[1] == stored, (events, api[1], stored)
    print(f"instance API alone : {api[0]:7.2f} s  {stored / api[0]:>10,.0f} events/s")
    print(f"joblens capture    : {cap:7.2f} s  {stored / cap:>10,.0f} events/s")
    print(f"capture / API      : {cap / api[0]:7.2f}x")
    print(f"incremental pass with nothing new: {incremental * 1000:.0f} ms")


if __name__ == "__main__":
    main()
