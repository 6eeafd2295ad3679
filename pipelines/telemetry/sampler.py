"""CPU and memory of running steps: one background thread per process samples them all.

A step attempt registers on entry and gets back, on exit, the CPU seconds the process
spent and the peak resident memory seen while it ran (the ``usage`` steps row). While it
runs, the thread emits a ``resource_samples`` row for it every ``interval_s`` and
fsyncs the spool, which keeps both the sampling and the fsync off the op's own thread.

Measurements are of the whole process: exact for the in-process and multiprocess
executors, which run one step per process at a time; approximate when steps of one
process run concurrently in threads.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psutil

_MB = 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _open_statm() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None


@dataclass
class StepUsage:
    """What the sampler tracks for one running step attempt."""

    interval_s: float
    emit: Callable[[dict], None]
    sync: Callable[[], None]
    cpu_start: float = field(default_factory=time.process_time)
    peak_rss_mb: float = 0.0
    last_cpu: float = 0.0
    last_wall: float = 0.0
    next_due: float = 0.0

    def __post_init__(self) -> None:
        self.last_cpu = self.cpu_start
        self.last_wall = time.monotonic()
        self.next_due = self.last_wall + self.interval_s


class ProcessSampler:
    """Samples this process for every registered step; the thread sleeps when none runs."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._process = psutil.Process(self.pid)
        self._statm = _open_statm()
        self._steps: dict[int, StepUsage] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._idle = True  # the thread waits for a step without a deadline
        self._deadline = float("inf")

    def rss_mb(self) -> float:
        return self._process.memory_info().rss / _MB

    def quick_rss_mb(self) -> float:
        """The same figure for the op's own thread: one ``pread`` of /proc/self/statm
        (a quarter of psutil's open-read-close) where Linux offers it."""
        if self._statm is None:
            return self.rss_mb()
        try:
            return int(os.pread(self._statm, 64, 0).split()[1]) * _PAGE / _MB
        except (OSError, IndexError, ValueError):
            return self.rss_mb()

    def start(self, interval_s: float, emit: Callable[[dict], None], sync: Callable[[], None]) -> StepUsage:
        usage = StepUsage(interval_s, emit, sync)  # peak: the samples and the reading at stop
        with self._wake:
            self._steps[id(usage)] = usage
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="joblens-sampler", daemon=True)
                self._thread.start()
            # Waking the thread hands it the GIL (hundreds of µs on a busy machine):
            # only when it sleeps without a deadline or would wake too late for this step.
            if self._idle or usage.next_due < self._deadline:
                self._wake.notify()
        return usage

    def stop(self, usage: StepUsage) -> tuple[float, float]:
        """CPU seconds and peak RSS (MB) of the step attempt."""
        with self._wake:
            self._steps.pop(id(usage), None)
        rss = self.quick_rss_mb()
        return time.process_time() - usage.cpu_start, max(usage.peak_rss_mb, rss)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._steps:
                    self._idle, self._deadline = True, float("inf")
                    self._wake.wait()
                self._idle = False
                self._deadline = min(s.next_due for s in self._steps.values())
                timeout = self._deadline - time.monotonic()
                if timeout > 0:
                    self._wake.wait(timeout)
                now = time.monotonic()
                due = [s for s in self._steps.values() if s.next_due <= now]
                if due:  # under the lock, so no sample lands after its step has stopped
                    self._sample(due, now)
            for sync in {id(u.sync): u.sync for u in due}.values():
                sync()

    def _sample(self, due: list[StepUsage], now: float) -> None:
        cpu = time.process_time()
        try:
            rss = self.rss_mb()
        except psutil.Error:
            return
        for usage in due:
            wall = now - usage.last_wall
            usage.peak_rss_mb = max(usage.peak_rss_mb, rss)
            usage.emit(
                {
                    "pid": self.pid,
                    "cpu_percent": round(100.0 * (cpu - usage.last_cpu) / wall, 2) if wall > 0 else None,
                    "cpu_s": cpu - usage.cpu_start,
                    "rss_mb": rss,
                }
            )
            usage.last_cpu, usage.last_wall = cpu, now
            usage.next_due = now + usage.interval_s


_sampler: ProcessSampler | None = None
_sampler_lock = threading.Lock()


def process_sampler() -> ProcessSampler:
    """The sampler of this process (a forked child gets its own)."""
    global _sampler
    with _sampler_lock:
        if _sampler is None or _sampler.pid != os.getpid():
            _sampler = ProcessSampler()
        return _sampler
