"""Where JobLens keeps what it generates: everything lives under ``JOBLENS_HOME``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import JoblensError

DEFAULT_HOME = Path("data") / "home"


@dataclass(frozen=True)
class Home:
    """The layout of a JobLens home folder."""

    root: Path

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def dagster(self) -> Path:
        return self.root / "dagster"

    @property
    def state(self) -> Path:
        """Small bookkeeping files: capture cursors, spools, checkpoints."""
        return self.root / "state"

    def ensure(self) -> "Home":
        """Create the home folder, failing with one clear line when it is unusable."""
        try:
            for path in (self.root, self.lake, self.reports, self.dagster, self.state):
                path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JoblensError(f"JOBLENS_HOME {self.root} is not writable: {exc.strerror}") from None
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise JoblensError(f"JOBLENS_HOME {self.root} is not readable and writable")
        return self


def resolve_home(path: str | os.PathLike[str] | None = None) -> Home:
    """The home given, else ``$JOBLENS_HOME``, else ``./data/home``; read at call time."""
    raw = path if path is not None else os.environ.get("JOBLENS_HOME") or DEFAULT_HOME
    return Home(Path(raw).expanduser().absolute())


def dagster_home(home: Home) -> Path:
    """``$DAGSTER_HOME`` when set, else the ``dagster/`` folder of the JobLens home."""
    raw = os.environ.get("DAGSTER_HOME")
    return Path(raw).expanduser().absolute() if raw else home.dagster
