"""Phase 1: simulated history, written once per home.

The plan (seed, days, runs per day, last day) is saved before the simulator writes, and
marked done after. A second demo finds it done and adds nothing; a demo killed while
simulating re-runs the same plan, whose rows carry the same ids, so the lake counts
them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from pipelines.demo.state import DemoState, HistoryPlan, save_state
from pipelines.home import Home


@dataclass
class HistoryOutcome:
    """The history the home holds, and whether this demo wrote it."""

    plan: HistoryPlan
    simulated_now: bool
    start: str
    end: str
    seconds: float = 0.0

    @property
    def end_moment(self) -> datetime:
        """Where the simulated history stops: midnight (UTC) after its last day."""
        last = date.fromisoformat(self.end)
        return datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1)


def ensure_history(home: Home, state: DemoState, days: int, runs_per_day: int, seed: int) -> HistoryOutcome:
    """Simulate ``days`` of history ending yesterday (UTC), unless the home already has it."""
    from pipelines.models.simulator import simulate

    plan = state.history
    if plan is not None and plan.done:
        return HistoryOutcome(plan, False, *_window(plan))
    if plan is None:
        yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
        plan = HistoryPlan(seed=seed, days=days, runs_per_day=runs_per_day, end_date=yesterday.isoformat())
        state.history = plan
        save_state(home, state)
    report = simulate(home.lake, plan.days, plan.runs_per_day, plan.seed, date.fromisoformat(plan.end_date))
    plan.done, plan.runs = True, report.runs
    save_state(home, state)
    return HistoryOutcome(plan, True, *_window(plan), seconds=report.seconds)


def _window(plan: HistoryPlan) -> tuple[str, str]:
    last = date.fromisoformat(plan.end_date)
    return (last - timedelta(days=plan.days - 1)).isoformat(), last.isoformat()
