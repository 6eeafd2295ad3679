"""With the multiprocess executor each step runs in its own process: each lands its own spool."""

from __future__ import annotations

import textwrap

import dagster as dg
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob  # the public helper needs a module path

JOB = textwrap.dedent(
    """
    import dagster as dg
    from pipelines.telemetry.resource import TelemetryResource

    @dg.op
    def produce(context, telemetry: TelemetryResource):
        with telemetry.step(context) as t:
            t.info("produced", rows=3)
            t.model_call("mistral", "mistral-small-latest", "chat", input_tokens=40, output_tokens=9)
        return 3

    @dg.op
    def consume(context, telemetry: TelemetryResource, n):
        with telemetry.step(context) as t:
            t.info("consumed", rows=n)

    @dg.job(resource_defs={"telemetry": TelemetryResource()})
    def two_process_job():
        consume(produce())
    """
)


@pytest.mark.slow
def test_each_step_process_lands_its_records(tmp_path, joblens_home, query):
    module = tmp_path / "two_process_job.py"
    module.write_text(JOB)
    job = ReconstructableJob.for_file(str(module), "two_process_job")
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:  # persisted SQLite
        result = dg.execute_job(job, instance=instance)
        assert result.success
        pids = {e.pid for e in result.all_events if e.event_type_value == "STEP_START"}
    assert len(pids) == 2  # really two step processes
    assert query("select step_key, message from logs order by ts") == [("produce", "produced"), ("consume", "consumed")]
    assert query("select step_key, status from steps order by ts") == [("produce", "usage"), ("consume", "usage")]
    assert query("select provider, input_tokens from model_calls") == [("mistral", 40)]
    assert not list((joblens_home.state / "spool").glob("*.jsonl"))
