"""What the telemetry resource costs a Dagster step, against Dagster's own per-step time.

The same 50-op job runs with and without the telemetry resource, in-process, on a
persisted SQLite Dagster instance under a temporary folder, several times alternately.
Each instrumented op opens ``telemetry.step(context)``, writes three logs, one model call
and one 20-row snapshot. Figures:

- Dagster's per-step time: wall time of the plain job / 50 (median over repetitions);
- telemetry per op, measured directly: time inside the telemetry calls of an op, plus
  the run-end landing (spool → Parquet) divided by 50;
- the end-to-end difference of the two jobs' times / 50, a noisier cross-check, and the
  part of it that is Dagster binding a resource to an op at all (a third job whose ops
  take the resource but never call it);
- with ``--every-step``, the same with ``land_every_step=True`` (Parquet at every step end).

Every figure is given in wall time and in CPU time of the process: on a shared, busy
machine wall times swing with other people's load while CPU time stays put.

Target: telemetry under 2% of Dagster's per-step time.

    .venv/bin/python bench/capture_overhead.py [--reps 5] [--ops 50]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from pipelines.telemetry.resource import TelemetryResource

IN_OP: list[tuple[float, float, float]] = []  # (wall, cpu, gc cpu) seconds of telemetry inside one op
GC_CPU = [0.0, 0.0]  # CPU seconds spent in garbage collection so far, start of the current pass


def _time_gc(phase: str, info: dict) -> None:
    # A collection that happens to start inside the telemetry calls walks all of Dagster's
    # heap; it is reported apart, since the step would pay for it a moment later anyway.
    if phase == "start":
        GC_CPU[1] = time.thread_time()
    else:
        GC_CPU[0] += time.thread_time() - GC_CPU[1]
LANDING: list[tuple[float, float]] = []  # (wall, cpu) seconds of one run-end landing


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def thread_clocks() -> tuple[float, float]:
    # CPU of the op's thread only: Dagster's own threads keep running beside the op.
    return time.perf_counter(), time.thread_time()


def thread_since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = thread_clocks()
    return wall - start[0], cpu - start[1]


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


class TimedTelemetry(TelemetryResource):
    """The telemetry resource, timing its run-end landing."""

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        start = clocks()
        super().teardown_after_execution(context)
        LANDING.append(since(start))


def work(index: int) -> list[dict]:
    return [{"row": i, "customer": f"c{index}-{i}", "amount": i * 1.5} for i in range(20)]


def make_plain_op(index: int) -> dg.OpDefinition:
    @dg.op(name=f"op_{index:02d}")
    def plain(context):
        return len(work(index))

    return plain


def make_resource_only_op(index: int) -> dg.OpDefinition:
    @dg.op(name=f"op_{index:02d}")
    def resource_only(context, telemetry: TelemetryResource):
        return len(work(index))

    return resource_only


def make_instrumented_op(index: int) -> dg.OpDefinition:
    @dg.op(name=f"op_{index:02d}")
    def instrumented(context, telemetry: TelemetryResource):
        rows = work(index)  # the op's own work, outside the timed part
        gc_before = GC_CPU[0]
        start = thread_clocks()
        with telemetry.step(context) as t:
            t.info("starting batch", batch=index, source="crm")
            t.info("fetched rows", rows=len(rows))
            t.model_call("openai", "gpt-4o-mini", "chat", input_tokens=1200, output_tokens=150, latency_ms=420.0)
            t.snapshot("output", "batch", rows)
            t.info("batch done", batch=index)
        IN_OP.append((*thread_since(start), GC_CPU[0] - gc_before))
        return len(rows)

    return instrumented


def build_job(name: str, ops: int, factory) -> dg.JobDefinition:
    op_defs = [factory(i) for i in range(ops)]

    @dg.job(name=name)
    def job():
        for op_def in op_defs:
            op_def()

    return job


def timed_run(job: dg.JobDefinition, instance: dg.DagsterInstance, resources: dict) -> tuple[float, float]:
    start = clocks()
    result = job.execute_in_process(instance=instance, resources=resources)
    elapsed = since(start)
    assert result.success
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--every-step", action="store_true", help="also run with land_every_step=True")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="joblens-bench-") as tmp:
        os.environ["JOBLENS_HOME"] = str(Path(tmp) / "home")
        lake = Path(tmp) / "home" / "lake"
        dagster_dir = Path(tmp) / "dagster"
        dagster_dir.mkdir()
        (dagster_dir / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        instance = dg.DagsterInstance.local_temp(tempdir=str(dagster_dir))  # SQLite storage on disk
        plain = build_job("plain_job", args.ops, make_plain_op)
        bound = build_job("bound_job", args.ops, make_resource_only_op)
        traced = build_job("traced_job", args.ops, make_instrumented_op)
        batched = {"telemetry": TimedTelemetry(lake_dir=str(lake))}
        per_step = {"telemetry": TelemetryResource(lake_dir=str(lake), land_every_step=True)}
        gc.callbacks.append(_time_gc)
        timed_run(plain, instance, {})  # warm-up: imports, storage schema, caches
        timed_run(traced, instance, batched)
        IN_OP.clear(), LANDING.clear()
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "resource_only": [], "telemetry": []}
        if args.every_step:
            runs["land_every_step"] = []
        in_op_by_rep: list[tuple[float, ...]] = []
        for _ in range(args.reps):
            runs["plain"].append(timed_run(plain, instance, {}))
            runs["resource_only"].append(timed_run(bound, instance, batched))
            IN_OP.clear()
            runs["telemetry"].append(timed_run(traced, instance, batched))
            in_op_by_rep.append(tuple(statistics.mean(c) for c in zip(*IN_OP)))
            if args.every_step:
                runs["land_every_step"].append(timed_run(traced, instance, per_step))
        for clock, index in (("wall", 0), ("cpu", 1)):
            report(clock, args.ops, {k: [v[index] for v in vs] for k, vs in runs.items()},
                   [v[index] for v in in_op_by_rep], [v[index] for v in LANDING])
        gc_us = statistics.median(v[2] for v in in_op_by_rep) * 1e6
        print(f"\n  of the in-op CPU time, garbage collections of the whole heap that started inside "
              f"the telemetry calls: {gc_us:.1f} us per op")
        per_call(TelemetryResource(lake_dir=str(lake), mirror_to_dagster_log=False))
        instance.dispose()


def per_call(telemetry: TelemetryResource, calls: int = 5000) -> None:
    """Each call alone, in a hot loop outside Dagster: the floor of the in-op figure above."""
    rows = work(0)
    init = dg.build_init_resource_context()
    telemetry.setup_for_execution(init)  # as in a run: landing waits for teardown
    recorder = telemetry.recorder("bench-run", "bench_job", "bench_step")

    def each(call) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls * 1e6

    figures = {
        "log": each(lambda: recorder.info("fetched rows", rows=20, source="crm")),
        "model_call": each(lambda: recorder.model_call("openai", "gpt-4o-mini", "chat", 1200, 150, latency_ms=420.0)),
        "progress": each(lambda: recorder.progress(3, 10, "embedding")),
        "snapshot (20 rows)": each(lambda: recorder.snapshot("output", "batch", rows)),
        "step enter + exit": each(lambda: telemetry.recorder("bench-run", "bench_job", "s").__enter__().close()),
    }
    recorder.close()
    telemetry.teardown_after_execution(init)
    print("\n  per call, hot loop outside Dagster (each a spooled, redacted record): "
          + ", ".join(f"{name} {us:.1f} us" for name, us in figures.items()))


def report(clock: str, ops: int, runs: dict[str, list[float]], in_op: list[float], landing: list[float]) -> None:
    med = {name: statistics.median(values) for name, values in runs.items()}
    step_us = med["plain"] / ops * 1e6
    in_op_us = statistics.median(in_op) * 1e6
    landing_us = statistics.median(landing) / ops * 1e6
    direct_us = in_op_us + landing_us
    e2e_us = (med["telemetry"] - med["plain"]) / ops * 1e6
    bound_us = (med["resource_only"] - med["plain"]) / ops * 1e6
    print(f"\n[{clock} time] {ops} ops per job, {len(runs['plain'])} repetitions, persisted SQLite, in-process executor")
    print(f"  Dagster per-step time (plain job / ops):          {step_us:9.0f} us")
    print(f"  telemetry inside an op (enter, 3 logs, 1 model call, 1 snapshot, exit): {in_op_us:7.1f} us")
    print(f"  run-end landing (spool -> Parquet), per op:       {landing_us:9.1f} us  "
          f"({statistics.median(landing) * 1e3:.1f} ms per run)")
    print(f"  telemetry per op, direct:                         {direct_us:9.1f} us = "
          f"{100 * direct_us / step_us:5.2f}% of a step (target < 2%)")
    print(f"  telemetry per op, job vs job difference:          {e2e_us:9.1f} us = {100 * e2e_us / step_us:5.2f}%")
    print(f"  (of which Dagster binding any resource to the op: {bound_us:9.1f} us = {100 * bound_us / step_us:5.2f}%)")
    if "land_every_step" in med:
        every_us = (med["land_every_step"] - med["plain"]) / ops * 1e6
        print(f"  land_every_step=True, job vs job difference:      {every_us:9.1f} us = {100 * every_us / step_us:5.2f}%")
    for name, values in runs.items():
        print(f"    {name:16s} per run: " + ", ".join(f"{v:.3f}s" for v in values))


if __name__ == "__main__":
    main()
