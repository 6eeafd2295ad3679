"""One Rich progress bar per demo phase, on stderr so ``--format json`` keeps stdout clean."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

Advance = Callable[[str], None]


class PhaseProgress:
    """``with progress.phase("Running jobs", total=12) as step: step("lead_enrichment")``."""

    def __init__(self, enabled: bool = True):
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.fields[phase]:<22}"), BarColumn(bar_width=30), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("{task.description}"),
                console=Console(stderr=True), redirect_stdout=False, redirect_stderr=False,
            )

    def __enter__(self) -> "PhaseProgress":
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def phase(self, name: str, total: int) -> Iterator[Advance]:
        """A bar of ``total`` steps; calling the yielded function names the next step and
        counts the one before it as done."""
        if self._progress is None:
            yield lambda description: None
            return
        task = self._progress.add_task("", total=total, phase=name)
        started = False

        def step(description: str) -> None:
            nonlocal started
            if started:
                self._progress.advance(task)
            started = True
            self._progress.update(task, description=description)

        try:
            yield step
        except BaseException:
            self._progress.update(task, description="[red]failed")
            raise
        self._progress.update(task, completed=total, description="done")
