"""CLI: ``joblens demo`` — a small instrumented job run, captured, compacted and summarized."""

# No ``from __future__ import annotations``: Dagster resolves the ops' resource annotations at definition time.
import shutil
from dataclasses import dataclass, field

import typer

from pipelines.cli.app import app
from pipelines.cli.output import FORMAT_OPTION, Format, emit
from pipelines.home import Home, dagster_home, resolve_home

SAMPLE_ORDERS = [
    {"order_id": 1, "customer": "ada@example.com", "amount": 120.5},
    {"order_id": 2, "customer": "grace@example.com", "amount": 80.0},
    {"order_id": 3, "customer": "linus@example.com", "amount": 42.25},
]


@dataclass
class DemoSummary:
    run_id: str
    run_status: str
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # table → (this run's rows, all rows)


def build_sample_job():
    """Three ops using the telemetry resource; the middle one fails once and is retried."""
    import dagster as dg

    from pipelines.telemetry.resource import TelemetryResource

    @dg.op
    def extract_orders(context, telemetry: TelemetryResource) -> list:
        """Reads the sample orders."""
        with telemetry.step(context) as t:
            t.info("reading orders", source="demo")
            t.snapshot("input", "orders", SAMPLE_ORDERS)
            t.progress(len(SAMPLE_ORDERS), len(SAMPLE_ORDERS), "read")
        return SAMPLE_ORDERS

    @dg.op(retry_policy=dg.RetryPolicy(max_retries=2, delay=0.2, backoff=dg.Backoff.EXPONENTIAL))
    def summarize_orders(context, telemetry: TelemetryResource, orders: list) -> dict:
        """Asks a model for a summary; its first call times out, as remote calls do."""
        with telemetry.step(context) as t:
            if context.retry_number == 0:
                t.model_call("openai", "gpt-4o-mini", "chat", input_tokens=900, output_tokens=0, outcome="timeout",
                             error_code="timeout", latency_ms=30_000)
                raise TimeoutError("model endpoint timed out after 30s")
            t.model_call("openai", "gpt-4o-mini", "chat", input_tokens=900, output_tokens=120, latency_ms=850)
            summary = {"orders": len(orders), "total": sum(o["amount"] for o in orders)}
            t.snapshot("intermediate", "summary", summary)
        return summary

    @dg.op
    def publish_summary(context, telemetry: TelemetryResource, summary: dict) -> None:
        """Publishes the summary."""
        with telemetry.step(context) as t:
            t.snapshot("output", "published_summary", summary)
            t.info("summary published", total=summary["total"])

    @dg.job(executor_def=dg.in_process_executor, tags={"joblens/job_type": "workflow", "joblens/team": "demo",
                                                       "joblens/trigger": "manual"})
    def demo_orders_job():
        """The JobLens demo: extract, summarize (retried once), publish."""
        publish_summary(summarize_orders(extract_orders()))

    return demo_orders_job


def run_demo(home: Home, fresh: bool = False) -> DemoSummary:
    """Run the sample job on the persisted instance, capture it, compact the lake, count what landed."""
    from pipelines.instance import open_instance
    from pipelines.lake.compaction import compact
    from pipelines.lake.reader import connect
    from pipelines.lake.schema import TABLES
    from pipelines.telemetry.capture import capture
    from pipelines.telemetry.resource import TelemetryResource

    if fresh:
        _clear(home)
    home.ensure()
    instance = open_instance(home)
    try:
        telemetry = TelemetryResource(lake_dir=str(home.lake), mirror_to_dagster_log=False)
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the event log keeps everything
        result = build_sample_job().execute_in_process(
            run_config=quiet, instance=instance, resources={"telemetry": telemetry}
        )
        capture(instance, home)
        status = instance.get_run_by_id(result.run_id).status.value.lower()
    finally:
        instance.dispose()
    compact(home.lake)
    con = connect(home.lake)
    try:
        count = "select count(*) filter (where run_id = ?), count(*) from {}"
        rows = {t: con.execute(count.format(t), [result.run_id]).fetchone() for t in TABLES}
    finally:
        con.close()
    return DemoSummary(result.run_id, status, rows)


def _clear(home: Home) -> None:
    """Forget earlier demo output: the lake, capture state and, when it lives in this home, Dagster's history."""
    targets = [home.lake, home.state]
    dagster = dagster_home(home)
    if dagster.is_relative_to(home.root):  # never wipe a DAGSTER_HOME the user points elsewhere
        targets.append(dagster)
    for path in targets:
        shutil.rmtree(path, ignore_errors=True)


@app.command()
def demo(
    fresh: bool = typer.Option(False, "--fresh", help="Start from an empty lake and Dagster history."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Run a small instrumented sample job, capture it into the lake, compact, and show what landed."""
    home = resolve_home()
    summary = run_demo(home, fresh)
    emit(["table", "this_run", "all_runs"], [(t, *n) for t, n in sorted(summary.rows.items())], fmt,
         title=f"demo run: {summary.run_status}")
    if fmt is Format.table:
        typer.echo(f"run:  {summary.run_id}")
        typer.echo(f"lake: {home.lake}")
        typer.echo("explore: joblens ui   (Dagster UI)")
