"""`joblens top`: a real run in another process, seen while it works through its spool."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from typer.testing import CliRunner

from pipelines.cli.app import _register, app
from pipelines.instance import open_instance
from pipelines.monitor import take_snapshot

JOB_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import dagster as dg
    from pipelines.home import resolve_home
    from pipelines.instance import open_instance
    from pipelines.telemetry.resource import TelemetryResource

    release = Path(sys.argv[1])

    @dg.op
    def embed_batches(context, telemetry: TelemetryResource):
        with telemetry.step(context) as t:
            t.model_call("openai", "text-embedding-3-small", "embeddings", input_tokens=1200, output_tokens=0)
            t.progress(3, 10, "embedding batch 3 of 10")
            deadline = time.monotonic() + 180
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    @dg.job(tags={"joblens/job_type": "knowledge", "dagster/priority": "5"})
    def index_docs():
        embed_batches()

    index_docs.execute_in_process(
        instance=open_instance(resolve_home()), resources={"telemetry": TelemetryResource()}
    )
    """
)


def _wait_for_step(home, instance, timeout_s=150.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snapshot = take_snapshot(home, instance)
        # Run records are read before the spools, so the first sight of the step may predate STARTED.
        running = [r for r in snapshot.active if r.current_step and r.status == "STARTED"]
        if running:
            return snapshot, running[0]
        time.sleep(0.3)
    raise AssertionError("the running step never showed up")


def test_top_shows_a_running_step_from_its_spool(joblens_home, tmp_path):
    script = tmp_path / "job.py"
    script.write_text(JOB_SCRIPT)
    release = tmp_path / "release"
    proc = subprocess.Popen([sys.executable, str(script), str(release)])
    try:
        instance = open_instance(joblens_home)
        snapshot, run = _wait_for_step(joblens_home, instance)
        assert snapshot.queue_paused is False
        assert (run.job_name, run.job_type, run.priority, run.status) == ("index_docs", "knowledge", 5, "STARTED")
        assert run.current_step == "embed_batches"
        assert (run.done, run.total, run.activity) == (3, 10, "embedding batch 3 of 10")
        assert run.progress == 0.3
        assert run.input_tokens == 1200
        assert run.elapsed_s is not None and run.elapsed_s >= 0

        _register()
        result = CliRunner().invoke(app, ["top", "--once", "--format", "json"])
        assert result.exit_code == 0, result.output
        shown = json.loads(result.output)
        assert [r["run_id"] for r in shown["active"]] == [run.run_id]
        assert shown["active"][0]["progress"] == 0.3
    finally:
        release.touch()
        proc.wait(timeout=60)
    assert proc.returncode == 0
    after = take_snapshot(joblens_home, open_instance(joblens_home))
    assert after.active == []
