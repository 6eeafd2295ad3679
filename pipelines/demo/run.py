"""``run_demo``: the five phases of ``joblens demo`` in one home, each with its progress bar.

1. history: simulated once per home (``history.py``);
2. real runs of every job kind through the Dagster instance, then captured (``runs.py``);
3. lake compaction, models, reports and dashboards (``outputs.py``);
4. alert rules evaluated, messages delivered to the file channel (``alerts.py``);
5. the summary (``summary.py``).

A second demo in the same home keeps the history, adds its own real runs and brings
everything downstream up to date.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date

from pipelines.demo import alerts as demo_alerts
from pipelines.demo import defaults
from pipelines.demo import outputs as demo_outputs
from pipelines.demo import summary as demo_summary
from pipelines.demo.enrichment_api import EnrichmentApi
from pipelines.demo.environment import clear_home, demo_environment
from pipelines.demo.history import HistoryOutcome, ensure_history
from pipelines.demo.progress import PhaseProgress
from pipelines.demo.runs import LaunchedRun, execute, plan_runs
from pipelines.demo.state import load_state, save_state
from pipelines.demo.summary import DemoSummary
from pipelines.errors import JoblensError
from pipelines.home import Home

CAPTURE_ATTEMPTS = 30
CAPTURE_RETRY_S = 2.0


def run_demo(home: Home, days: int = defaults.DAYS, runs_per_day: int = defaults.RUNS_PER_DAY,
             seed: int = defaults.SEED, fresh: bool = False, progress: bool = True) -> DemoSummary:
    """Run the whole demo in ``home`` and return what it made."""
    if days < 1 or runs_per_day < 1:
        raise JoblensError(f"demo: --days and --runs-per-day must be at least 1 (got {days}, {runs_per_day})")
    started = time.perf_counter()
    if fresh:
        clear_home(home)
    home.ensure()
    with demo_environment(home), PhaseProgress(progress) as bars:
        state = load_state(home)
        state.demos.append(demo_alerts.now_utc().isoformat(timespec="seconds"))
        with bars.phase("1 history", 1) as step:
            kept = state.history is not None and state.history.done
            step("kept from an earlier demo" if kept else f"simulating {days} days × {runs_per_day} runs")
            history = ensure_history(home, state, days, runs_per_day, seed)
        summary = _dagster_phases(home, state, history, bars)
        save_state(home, state)
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _dagster_phases(home: Home, state, history: HistoryOutcome, bars: PhaseProgress) -> DemoSummary:
    from pipelines.instance import open_instance

    instance = open_instance(home)
    try:
        defs = _code_location()
        launched = _real_runs(defs, instance, home, date.fromisoformat(history.start), bars)
        with bars.phase("3 models & reports", demo_outputs.STEPS) as step:
            outputs = demo_outputs.build_outputs(defs, instance, home, defaults.REPORT_PERIOD, step)
        moments = demo_alerts.evaluation_times(state.last_alert_evaluation, history.end_moment, demo_alerts.now_utc())
        with bars.phase("4 alerts", len(moments) + 2) as step:
            alerts = demo_alerts.evaluate_alerts(instance, home, state, launched, moments, step)
    finally:
        instance.dispose()
    with bars.phase("5 summary", 1) as step:
        step("reading the warehouse")
        return _summary(home, history, launched, outputs, alerts)


def _code_location():
    """The JobLens code location's ``Definitions``, built now so they see the demo's environment."""
    from pipelines.definitions import defs

    return defs() if callable(defs) else defs


def _real_runs(defs, instance, home: Home, history_start: date, bars: PhaseProgress) -> list[LaunchedRun]:
    with EnrichmentApi() as api:
        planned = plan_runs(api, history_start)
        launched = []
        with bars.phase("2 real runs", len(planned) + 1) as step:
            for run in planned:
                step(f"{run.job_name}: {run.role}")
                launched.append(execute(run, defs, instance, home))
            step("capturing the runs into the lake")
            _capture(instance, home)
    return launched


def _capture(instance, home: Home) -> None:
    """One capture pass; when the capture sensor of a running ``joblens ui`` holds the home's
    capture lock, wait for it to finish its pass (it may have captured these runs already)."""
    from pipelines.telemetry.capture import capture

    for attempt in range(CAPTURE_ATTEMPTS):
        try:
            capture(instance, home)
            return
        except JoblensError as exc:
            if "another capture" not in str(exc) or attempt == CAPTURE_ATTEMPTS - 1:
                raise
            time.sleep(CAPTURE_RETRY_S)


def _summary(home: Home, history: HistoryOutcome, launched, outputs, alerts) -> DemoSummary:
    return DemoSummary(
        home=str(home.root),
        history={**asdict(history.plan), "start": history.start, "end": history.end,
                 "simulated_now": history.simulated_now},
        real_runs=[asdict(r) for r in launched],
        **demo_summary.warehouse_figures(home),
        models_materialized=outputs.models_materialized,
        failed_checks=outputs.failed_checks,
        lake_rows=demo_summary.lake_rows(home),
        report_period=outputs.report_period,
        reports=outputs.reports,
        dashboards=outputs.dashboards,
        alerts=asdict(alerts),
        next_steps=demo_summary.next_steps(),
    )
