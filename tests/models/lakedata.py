"""Hand-written lake rows for the model tests: a tiny builder over LakeWriter."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.lake.writer import LakeWriter

_ids = itertools.count(1)


def at(text: str) -> datetime:
    """'2024-11-03 10:00' (or with seconds) as a UTC timestamp."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def plus(ts: datetime, seconds: float) -> datetime:
    return ts + timedelta(seconds=seconds)


class History:
    """Runs, steps, errors and model calls as a test states them, written as lake rows."""

    def __init__(self, lake: Path):
        self.writer = LakeWriter(lake)

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(_ids)}"

    def run(self, run_id: str, job: str, queued: datetime, statuses: list[tuple[str, float]],
            job_type: str = "workflow", team: str | None = "core", trigger: str = "schedule",
            priority: int = 0, parent: str | None = None, root: str | None = None) -> None:
        """``statuses``: (status, seconds after queued) transitions after 'queued'."""
        rows = [("queued", 0.0), *statuses]
        for status, offset in rows:
            self.writer.add("runs", {
                "id": f"{run_id}:{status}", "run_id": run_id, "ts": plus(queued, offset), "status": status,
                "job_name": job, "job_type": job_type, "team": team, "trigger": trigger, "priority": priority,
                "parent_run_id": parent, "root_run_id": root,
            })

    def step(self, run_id: str, job: str, step_key: str, started: datetime, seconds: float,
             status: str = "completed", attempt: int = 1, error_code: str | None = None,
             wait_before_s: float | None = None, cpu_s: float | None = None, rss_mb: float | None = None) -> None:
        """One attempt as open + close rows (and a usage row when cpu or memory is given)."""
        key = f"{run_id}:{step_key}:{attempt}"
        self.writer.add("steps", {"id": f"{key}:start", "run_id": run_id, "ts": started, "job_name": job,
                                  "step_key": step_key, "attempt": attempt, "status": "started",
                                  "started_at": started, "wait_before_s": wait_before_s, "source": "dagster"})
        ended = plus(started, seconds)
        if status != "running":
            self.writer.add("steps", {"id": f"{key}:end", "run_id": run_id, "ts": ended, "job_name": job,
                                      "step_key": step_key, "attempt": attempt, "status": status,
                                      "ended_at": ended, "duration_s": seconds, "error_code": error_code,
                                      "source": "dagster"})
        if cpu_s is not None or rss_mb is not None:
            self.writer.add("steps", {"id": f"{key}:usage", "run_id": run_id, "ts": ended, "job_name": job,
                                      "step_key": step_key, "attempt": attempt, "status": "usage",
                                      "cpu_s": cpu_s, "peak_rss_mb": rss_mb, "source": "telemetry"})

    def error(self, run_id: str, job: str, ts: datetime, code: str, signature: str, step_key: str | None = None,
              attempt: int | None = 1, error_class: str = "RuntimeError", message: str = "boom",
              transient: bool = False) -> None:
        self.writer.add("errors", {"id": self._id("err"), "run_id": run_id, "ts": ts, "job_name": job,
                                   "step_key": step_key, "attempt": attempt if step_key else None,
                                   "error_class": error_class, "error_code": code, "transient": transient,
                                   "message": message, "signature": signature, "source": "telemetry"})

    def call(self, run_id: str, job: str, ts: datetime, model: str, input_tokens: int, output_tokens: int,
             provider: str = "openai", step_key: str | None = "step", cached: int = 0, outcome: str = "ok") -> None:
        self.writer.add("model_calls", {"id": self._id("call"), "run_id": run_id, "ts": ts, "job_name": job,
                                        "step_key": step_key, "provider": provider, "model": model,
                                        "operation": "chat", "input_tokens": input_tokens,
                                        "cached_input_tokens": cached, "output_tokens": output_tokens,
                                        "latency_ms": 100.0, "outcome": outcome})

    def flush(self) -> None:
        self.writer.flush()
