"""Planning the simulated runs: when they arrive, which job, trigger and fate, and their queue.

Arrivals follow each job's hour-of-day and day-of-week profile plus a slow growth of
volume over the history (so capacity forecasts have a trend to find). Runs of a job
type share a concurrency pool sized so the busiest hours exceed it: queue waits grow at
peak and drain at night, as they do under Dagster's queued run coordinator.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import polars as pl

from pipelines.models import sim_catalog as cat
from pipelines.models.sim_random import Draws, derive_seed, pick

GROWTH = 0.25  # volume at the end of the history relative to the start
HOUR = 3600.0


@dataclass(frozen=True)
class Window:
    """The simulated time range, epoch seconds, both on hour boundaries."""

    start: float
    end: float

    @property
    def hours(self) -> int:
        return int((self.end - self.start) // HOUR)


def run_id_expr(seed: int, idx: pl.Expr) -> pl.Expr:
    """A UUID-shaped run id, unique per index and different per seed."""
    h = f"{derive_seed(seed, 'run_id'):016x}"
    prefix = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[13:16]}-"
    return pl.lit(prefix) + idx.cast(pl.String).str.zfill(12)


def _hour_weights(window: Window, profile: str) -> list[float]:
    hour_w, dow_w = cat.PROFILES[profile]
    hours = window.hours
    out = []
    for h in range(hours):
        t = window.start + h * HOUR
        hod = int(t // HOUR) % 24
        dow = (int(t // 86400) + 3) % 7  # 1970-01-01 was a Thursday
        out.append(hour_w[hod] * dow_w[dow] * (1.0 + GROWTH * h / max(1, hours)))
    return out


def _cumulative(weights: list[float]) -> pl.Series:
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    return pl.Series(out)


def arrivals(seed: int, n: int, window: Window, backfill_runs: int = 4) -> pl.DataFrame:
    """``n`` original runs: arrival time, job and trigger, sorted by arrival, indexed 0..n-1."""
    draws = Draws(seed, "arrivals")
    jobs = cat.JOBS
    frame = pl.DataFrame({"u_job": draws.uniform("job", n), "u_hour": draws.uniform("hour", n),
                          "u_in": draws.uniform("in_hour", n), "u_trig": draws.uniform("trigger", n)})
    frame = frame.with_columns(job_id=pick(pl.col("u_job"), [j.weight for j in jobs], list(range(len(jobs)))).cast(pl.Int32))
    hour = pl.lit(0, dtype=pl.Int64)
    for profile in cat.PROFILES:
        cdf = _cumulative(_hour_weights(window, profile))
        bucket = cdf.search_sorted(frame["u_hour"], side="right").clip(0, window.hours - 1).cast(pl.Int64)
        ids = [i for i, j in enumerate(jobs) if j.profile == profile]
        hour = pl.when(pl.col("job_id").is_in(ids)).then(pl.Series(bucket)).otherwise(hour)
    frame = frame.with_columns(hour=hour)
    trigger = pl.lit("manual")
    source = pl.lit("joblens run")
    for i, job in enumerate(jobs):
        shares = [t[1] for t in job.triggers]
        trigger = pl.when(pl.col("job_id") == i).then(pick(pl.col("u_trig"), shares, [t[0] for t in job.triggers])).otherwise(trigger)
        source = pl.when(pl.col("job_id") == i).then(pick(pl.col("u_trig"), shares, [t[2] for t in job.triggers])).otherwise(source)
    frame = frame.with_columns(trigger=trigger, source_template=source)
    scheduled_minute = (pl.col("job_id") * 7 % 60).cast(pl.Float64) * 60.0 + pl.col("u_in") * 4.0
    offset = pl.when(pl.col("trigger") == "schedule").then(scheduled_minute).otherwise(pl.col("u_in") * HOUR)
    frame = frame.with_columns(arrival=window.start + pl.col("hour").cast(pl.Float64) * HOUR + offset)
    frame = frame.filter(pl.col("arrival") < window.end)
    return _finish_arrivals(pl.concat([frame.select("job_id", "trigger", "source_template", "arrival"),
                                       _backfill(window, backfill_runs)], how="vertical_relaxed"))


def _backfill(window: Window, count: int) -> pl.DataFrame:
    """A backfill launched just before the end: more runs than the knowledge pool takes at once.

    It guarantees the history ends with runs still queued and running, as a live one does.
    """
    job_id = next(i for i, j in enumerate(cat.JOBS) if j.name == "knowledge_index")
    return pl.DataFrame({
        "job_id": [job_id] * count,
        "trigger": ["backfill"] * count,
        "source_template": ["backfill-{n}"] * count,
        "arrival": [window.end - 90.0 + 5.0 * k for k in range(count)],
    }, schema_overrides={"job_id": pl.Int32})


def _finish_arrivals(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.sort("arrival", "job_id", maintain_order=True).with_row_index("idx")
    frame = frame.with_columns(pl.col("idx").cast(pl.Int64))
    return frame.with_columns(
        trigger_source=pl.col("source_template").str.replace("{n}", pl.col("idx").cast(pl.String), literal=True)
    ).drop("source_template")


def pool_limits(runs_per_day: int) -> dict[str, int]:
    """Concurrency per pool: the average load fits, the busiest hours do not."""
    limits = {}
    total_weight = sum(j.weight for j in cat.JOBS)
    for pool in {j.concurrency_pool for j in cat.JOBS}:
        load = 0.0  # busy run-seconds per second at peak
        for job in (j for j in cat.JOBS if j.concurrency_pool == pool):
            hour_w, dow_w = cat.PROFILES[job.profile]
            mean_w = sum(hour_w) / 24 * sum(dow_w) / 7
            peak = max(hour_w) * max(dow_w) / mean_w * (1 + GROWTH)
            duration = job.prep_s + sum(s.median_s * math.exp(s.sigma**2 / 2) + 0.15 for s in job.steps)
            load += runs_per_day * job.weight / total_weight / 86400 * peak * duration
        limits[pool] = 1 if pool == "system" else max(1, round(load / 1.15))
    return limits


def schedule_queue(runs: pl.DataFrame, limits: dict[str, int], slots: dict[str, list[float]]) -> pl.DataFrame:
    """Start times under the pools' limits, first come first served; retries arrive after their parent ends.

    ``runs`` needs idx, arrival (null for a retry), pool, busy_s, queue_cancel, child_idx,
    child_delay_s, dequeue_s. ``slots`` (pool → heap of slot free times) carries over between chunks.
    """
    idx = runs["idx"].to_list()
    pos = {v: i for i, v in enumerate(idx)}
    arrival = runs["arrival"].to_list()
    pool = runs["pool"].to_list()
    busy = runs["busy_s"].to_list()
    cancel = runs["queue_cancel"].to_list()
    child = runs["child_idx"].to_list()
    delay = runs["child_delay_s"].to_list()
    dequeue = runs["dequeue_s"].to_list()  # the coordinator's polling: never instant, even when a slot is free
    start: list[float | None] = [None] * len(idx)
    pending: list[tuple[float, int]] = []

    def run(i: int) -> None:
        if cancel[i]:
            return
        heap = slots.setdefault(pool[i], [0.0] * limits.get(pool[i], 1))
        begin = max(arrival[i] + dequeue[i], heapq.heappop(heap))
        heapq.heappush(heap, begin + busy[i])
        start[i] = begin
        if child[i] is not None:
            c = pos[child[i]]
            arrival[c] = begin + busy[i] + delay[i]
            heapq.heappush(pending, (arrival[c], c))

    arrives_on_its_own = [a is not None for a in arrival]  # retries are queued when their parent ends
    for i in range(len(idx)):
        if not arrives_on_its_own[i]:
            continue
        while pending and pending[0][0] <= arrival[i]:
            run(heapq.heappop(pending)[1])
        run(i)
    while pending:
        run(heapq.heappop(pending)[1])
    return runs.with_columns(pl.Series("arrival", arrival, pl.Float64), pl.Series("start", start, pl.Float64))
