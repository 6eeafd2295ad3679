"""The run queue JobLens configures: Dagster's queued run coordinator plus a pause switch.

``joblens jobs pause`` holds every queued run during an outage (a flaky model provider,
a database migration) and ``resume`` releases them in priority order. Dagster 1.13 has
no pause for its run queue, and a limit edited in ``dagster.yaml`` only takes effect
when the daemon restarts. So the switch lives in the instance's own key-value store
(SQLite or Postgres, seen by every process) and this coordinator reports a concurrency
limit of 0 while it is set: the daemon leaves queued runs queued, new submissions queue
behind them, running runs finish normally.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator, RunQueueConfig

PAUSE_KEY = "joblens/queue_paused"


class JoblensRunCoordinator(QueuedRunCoordinator):
    """Queued run coordinator that launches nothing while the JobLens queue is paused."""

    def get_run_queue_config(self) -> RunQueueConfig:
        config = super().get_run_queue_config()
        if queue_pause_state(self._instance) is not None:
            return config._replace(max_concurrent_runs=0)
        return config


def queue_pause_state(instance) -> dict | None:
    """Who paused the queue and when, or None while it runs."""
    raw = instance.run_storage.get_cursor_values({PAUSE_KEY}).get(PAUSE_KEY)
    if not raw:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        return {"actor": "unknown", "since": None}
    return state if isinstance(state, dict) and state.get("paused") else None


def set_queue_paused(instance, paused: bool, actor: str, reason: str = "") -> dict:
    """Pause or release the queue; returns the state written."""
    state = {
        "paused": paused,
        "actor": actor,
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reason": reason,
    }
    instance.run_storage.set_cursor_values({PAUSE_KEY: json.dumps(state)})
    return state
