"""The telemetry resource inside real Dagster runs: the exact rows that land in the lake."""

from __future__ import annotations

import json
import re
import time

import dagster as dg
import psutil
import pytest

from pipelines.errors import JoblensError
from pipelines.telemetry.resource import TelemetryResource

SECRET = "sk-proj-4fGh7Jk9Lm2Np5Qr8St1Uv3Wx6Yz0AbCdEf"


@dg.op
def extract(context, telemetry: TelemetryResource):
    with telemetry.step(context) as t:
        t.info("extracting", source="crm", api_key=SECRET)
        t.progress(1, 2, "reading customers")
        rows = [{"id": 1, "email": "ann@example.com"}, {"id": 2, "email": "bo@example.com"}]
        t.snapshot("input", "customers", rows)
        t.model_call("openai", "gpt-4o-mini", "chat", input_tokens=1200, output_tokens=80,
                     cached_input_tokens=1024, latency_ms=850.5)
        t.model_call("anthropic", "claude-3-5-haiku-20241022", "chat", 300, 0, outcome="rate_limited",
                     error_code="rate_limit")
        t.warning(f"retrying with key {SECRET}")
        t.progress(2, 2, "done")
        time.sleep(0.35)  # long enough for a few resource samples
    return rows


@dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
def enrich(context, telemetry: TelemetryResource, rows):
    with telemetry.step(context) as t:
        landed = list(telemetry.lake_path().glob("landing/**/*.parquet"))
        t.info("landing files seen", count=len(landed))
        if context.retry_number == 0:
            try:
                raise TimeoutError("read timed out after 30s calling https://api.example.com/enrich")
            except TimeoutError as exc:
                t.record_error(exc)
                raise dg.RetryRequested() from exc
        t.snapshot("output", "enriched", rows)


@dg.job
def crm_job():
    enrich(extract())


def run(lake, **config):
    resource = TelemetryResource(lake_dir=str(lake), sample_interval_s=0.1, **config)
    result = crm_job.execute_in_process(resources={"telemetry": resource}, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result


def test_in_process_job_records_exact_rows(joblens_home, lake, query):
    result = run(lake)
    rid = result.run_id
    logs = query("select step_key, kind, level, message, fields, redacted_fields, source, run_id, job_name "
                 "from logs order by ts")
    assert [row[:4] for row in logs] == [
        ("extract", "log", "info", "extracting"),
        ("extract", "progress", "info", "reading customers"),
        ("extract", "log", "warning", "retrying with key [REDACTED:api_key]"),
        ("extract", "progress", "info", "done"),
        ("enrich", "log", "info", "landing files seen"),
        ("enrich", "log", "info", "landing files seen"),
    ]
    assert json.loads(logs[0][4]) == {"source": "crm", "api_key": "[REDACTED]"} and logs[0][5] == ["api_key"]
    assert json.loads(logs[1][4]) == {"done": 1, "total": 2, "activity": "reading customers"}
    assert logs[2][5] == ["message"]
    assert {row[6:] for row in logs} == {("telemetry", rid, "crm_job")}
    # records stay in the spool until the run's resources are torn down
    assert [json.loads(row[4])["count"] for row in logs[4:]] == [0, 0]

    assert query("select step_key, provider, model, operation, input_tokens, cached_input_tokens, output_tokens, "
                 "latency_ms, outcome, error_code from model_calls order by ts") == [
        ("extract", "openai", "gpt-4o-mini", "chat", 1200, 1024, 80, 850.5, "ok", None),
        ("extract", "anthropic", "claude-3-5-haiku-20241022", "chat", 300, 0, 0, None, "rate_limited", "rate_limit"),
    ]
    snaps = query("select step_key, kind, name, row_count, preview, redacted_fields from snapshots order by ts")
    assert [s[:4] for s in snaps] == [("extract", "input", "customers", 2), ("enrich", "output", "enriched", 2)]
    assert "ann@example.com" not in snaps[0][4] and snaps[0][5] == ["email"]
    assert query("select step_key, attempt, error_class, error_code, transient, message, source from errors") == [
        ("enrich", 1, "TimeoutError", "timeout", True,
         "read timed out after 30s calling https://api.example.com/enrich", "telemetry"),
    ]
    usage = query("select step_key, attempt, status, source, cpu_s, peak_rss_mb from steps order by ts")
    assert [u[:4] for u in usage] == [("extract", 1, "usage", "telemetry"), ("enrich", 1, "usage", "telemetry"),
                                      ("enrich", 2, "usage", "telemetry")]
    assert all(u[4] >= 0 and u[5] > 10 for u in usage)
    samples = query("select step_key, pid, cpu_s, rss_mb from resource_samples")
    assert len(samples) >= 2 and {s[0] for s in samples} == {"extract"} and all(s[3] > 10 for s in samples)
    assert not list((joblens_home.state / "spool").glob("*.jsonl"))
    assert query("select count(distinct run_id) from model_calls") == [(1,)]


def test_land_every_step_publishes_before_the_next_step(lake, query):
    run(lake, land_every_step=True)
    counts = [json.loads(f)["count"] for (f,) in query("select fields from logs where step_key = 'enrich' order by ts")]
    assert counts[0] > 0 and counts[1] > counts[0]


def test_warnings_and_errors_are_mirrored_to_the_dagster_log(lake):
    instance = dg.DagsterInstance.ephemeral()
    result = crm_job.execute_in_process(resources={"telemetry": TelemetryResource(lake_dir=str(lake))}, instance=instance)
    texts = [r.user_message for r in instance.all_logs(result.run_id)]
    assert "retrying with key [REDACTED:api_key]" in texts
    assert any(t.startswith("TimeoutError [timeout]: read timed out") for t in texts)
    assert "extracting" not in texts  # info stays out of Dagster's event log
    quiet = dg.DagsterInstance.ephemeral()
    result = crm_job.execute_in_process(
        resources={"telemetry": TelemetryResource(lake_dir=str(lake), mirror_to_dagster_log=False)}, instance=quiet
    )
    assert not any("REDACTED" in r.user_message for r in quiet.all_logs(result.run_id))


@pytest.mark.parametrize(
    "config, message",
    [({"sample_interval_s": 0}, r"sample_interval_s=0(\.0)? must be > 0"),
     ({"preview_rows": 0}, r"preview_rows=0 must be >= 1"),
     ({"redact_patterns": ["ok", "("]}, r"redact_patterns\[1\]: invalid regular expression")],
)
def test_bad_config_fails_the_run_with_the_setting_named(lake, config, message):
    resource = TelemetryResource(lake_dir=str(lake), **config)
    with pytest.raises(dg.DagsterResourceFunctionError) as info:
        crm_job.execute_in_process(resources={"telemetry": resource}, instance=dg.DagsterInstance.ephemeral())
    assert isinstance(info.value.__cause__, JoblensError)
    assert re.search(message, str(info.value.__cause__))


def test_unknown_config_key_is_rejected():
    with pytest.raises(dg.DagsterInvalidConfigError, match='unexpected config entry "sample_every"'):
        crm_job.execute_in_process(
            resources={"telemetry": TelemetryResource.configure_at_launch()},
            run_config={"resources": {"telemetry": {"config": {"sample_every": 3}}}},
        )


def test_recorder_outside_dagster_lands_on_exit(telemetry, query):
    with telemetry.recorder("script-run", None, "adhoc") as t:
        t.error("failed to reach db at postgresql://etl:pw123@db:5432/x")
        with pytest.raises(JoblensError, match="outcome 'fine'"):
            t.model_call("openai", "gpt-4o", "chat", 1, 1, outcome="fine")
        with pytest.raises(JoblensError, match="input_tokens=-1"):
            t.model_call("openai", "gpt-4o", "chat", -1, 1)
        with pytest.raises(JoblensError, match="snapshot kind 'raw'"):
            t.snapshot("raw", "x", {})
        with pytest.raises(JoblensError, match="log level 'loud'"):
            t.log("loud", "x")
    assert query("select run_id, job_name, step_key, level, message from logs") == [
        ("script-run", None, "adhoc", "error", "failed to reach db at postgresql://[REDACTED:url_password]@db:5432/x")
    ]
    assert query("select status, attempt from steps") == [("usage", 1)]


def test_lake_dir_defaults_to_the_home_at_run_time(joblens_home, tmp_path, monkeypatch):
    resource = TelemetryResource()
    other = tmp_path / "other-home"
    monkeypatch.setenv("JOBLENS_HOME", str(other))
    assert resource.lake_path() == other / "lake"
    assert resource.spool_path() == other / "state" / "spool"


def test_land_max_records_lands_at_the_step_end_that_reaches_it(lake, query):
    run(lake, land_max_records=3)  # extract records 8 rows: its step end lands them
    counts = [json.loads(f)["count"] for (f,) in query("select fields from logs where step_key = 'enrich' order by ts")]
    assert counts[0] > 0


def test_peak_memory_and_cpu_of_a_step(telemetry, query):
    resource = TelemetryResource(lake_dir=telemetry.lake_dir, sample_interval_s=0.05)
    before = psutil.Process().memory_info().rss / 2**20
    with resource.recorder("mem-run", "job", "allocate"):
        block = bytearray(80 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:  # busy: CPU seconds to measure
            pass
        time.sleep(0.15)
        del block  # memory falls again before the step ends: only sampling saw the peak
    [(cpu_s, peak)] = query("select cpu_s, peak_rss_mb from steps where run_id = 'mem-run'")
    samples = [rss for (rss,) in query("select rss_mb from resource_samples where run_id = 'mem-run'")]
    assert cpu_s >= 0.2
    assert len(samples) >= 3 and max(samples) >= before + 70
    assert peak >= max(samples)
