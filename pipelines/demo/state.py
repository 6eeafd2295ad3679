"""What earlier demos left in a home: the simulated history's parameters and when alerts
were last evaluated, so a second demo adds to the home instead of repeating it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.home import Home
from pipelines.lake.files import publish_json

STATE_FILE = "demo.json"


@dataclass
class HistoryPlan:
    """The simulation the home holds (or is writing): same values → same rows, ids included."""

    seed: int
    days: int
    runs_per_day: int
    end_date: str  # ISO date of the last simulated day
    done: bool = False
    runs: int = 0


@dataclass
class DemoState:
    history: HistoryPlan | None = None
    alerts_evaluated_at: str | None = None  # ISO time of the last rules evaluation
    demos: list[str] = field(default_factory=list)  # ISO start times of the demos run here

    @property
    def last_alert_evaluation(self) -> datetime | None:
        return datetime.fromisoformat(self.alerts_evaluated_at) if self.alerts_evaluated_at else None


def state_path(home: Home) -> Path:
    return home.state / STATE_FILE


def load_state(home: Home) -> DemoState:
    path = state_path(home)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return DemoState()
    except (OSError, ValueError) as exc:
        raise JoblensError(f"{path}: unreadable demo state ({exc}); run `joblens demo --fresh`") from None
    history = raw.get("history")
    return DemoState(
        history=HistoryPlan(**history) if history else None,
        alerts_evaluated_at=raw.get("alerts_evaluated_at"),
        demos=list(raw.get("demos", [])),
    )


def save_state(home: Home, state: DemoState) -> None:
    """Replace the state file atomically: a demo killed mid-write leaves the previous state."""
    home.state.mkdir(parents=True, exist_ok=True)
    publish_json(state_path(home), asdict(state))
