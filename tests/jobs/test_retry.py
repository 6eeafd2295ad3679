"""Retry profiles, and step retries by error type: transient codes retried with growing waits, others not."""

from __future__ import annotations

import json

import pytest

from pipelines.errors import JoblensError
from pipelines.jobs.retry import BUILTIN_PROFILES, PROFILES_ENV, RetryProfile, resolve_profile
from tests.jobs import workflow_testkit as kit


FAST = {"max_retries": 3, "base_delay_s": 0.2, "backoff": 2, "jitter": 0.1, "max_delay_s": 5}


def test_delays_grow_exponentially_within_jitter_and_cap():
    profile = RetryProfile(base_delay_s=1.0, backoff=2.0, jitter=0.2, max_delay_s=10.0)
    delays = [profile.delay_s(n, "run:step") for n in range(1, 7)]
    for n, delay in enumerate(delays[:4], start=1):
        assert 0.8 * 2 ** (n - 1) <= delay <= 1.2 * 2 ** (n - 1)
    assert delays[:4] == sorted(delays[:4])
    assert max(delays) <= 10.0 and delays[-1] >= 8.0
    assert delays == [profile.delay_s(n, "run:step") for n in range(1, 7)]  # a replay computes the same waits
    assert delays != [profile.delay_s(n, "other:step") for n in range(1, 7)]  # jitter spreads different runs


def test_profiles_by_name_inline_and_from_file(tmp_path, monkeypatch):
    assert resolve_profile("none", "wf").max_retries == 0
    inline = resolve_profile({"max_retries": 5}, "wf")
    assert inline.max_retries == 5 and inline.base_delay_s == BUILTIN_PROFILES["default"].base_delay_s
    table = tmp_path / "profiles.yaml"
    table.write_text("profiles:\n  llm_quota:\n    max_retries: 8\n    base_delay_s: 30\n")
    monkeypatch.setenv(PROFILES_ENV, str(table))
    assert resolve_profile("llm_quota", "wf").max_retries == 8
    table.write_text("profiles:\n  llm_quota:\n    jitter: 1.5\n")
    with pytest.raises(JoblensError, match=r"profiles.llm_quota.jitter: must be below 1"):
        resolve_profile("llm_quota", "wf")


def _flaky(fail_times: int, status: int):
    calls = {"n": 0}

    def respond(handler, body):
        calls["n"] += 1
        if calls["n"] <= fail_times:
            return status, {"error": "try later"}, {}
        return 200, {"ok": True, "attempt": calls["n"]}, {}

    return respond


def test_transient_failure_is_retried_with_growing_waits_then_succeeds(tmp_path, joblens_home):
    import dagster as dg

    from pipelines.telemetry.capture import capture

    instance = dg.DagsterInstance.ephemeral()
    with kit.http_server(_flaky(2, 503)) as (base, requests):
        path = kit.write_workflow(tmp_path / "wf", "flaky", [{"name": "fetch", "kind": "http", "url": base}], retry=FAST)
        spec, result = kit.run_spec(path, {}, joblens_home.lake, instance=instance)
    assert result.success
    assert len(requests) == 3
    assert kit.final_scope(spec, result)["steps"]["fetch"]["json"] == {"ok": True, "attempt": 3}
    waits = [e.event_specific_data.seconds_to_wait for e in kit.step_events(result, "STEP_UP_FOR_RETRY", "flaky__fetch")]
    assert len(waits) == 2 and 0.18 <= waits[0] <= 0.22 and 0.36 <= waits[1] <= 0.44
    assert len(kit.step_events(result, "STEP_RESTARTED", "flaky__fetch")) == 2
    lake = joblens_home.lake
    errors = kit.lake_rows(lake, "select attempt, error_code, transient from errors "
                                 "where step_key = 'flaky__fetch' and source = 'telemetry' order by attempt")
    assert errors == [(1, "upstream_5xx", True), (2, "upstream_5xx", True)]
    attempts = kit.lake_rows(lake, "select attempt from steps where step_key = 'flaky__fetch' and status = 'usage' order by attempt")
    assert attempts == [(1,), (2,), (3,)]
    retries = kit.lake_rows(lake, "select fields from logs where step_key = 'flaky__fetch' and level = 'warning' order by ts")
    planned = [json.loads(f) for (f,) in retries]
    assert [(p["attempt"], p["next_attempt"], p["error_code"]) for p in planned] == [(1, 2, "upstream_5xx"), (2, 3, "upstream_5xx")]
    assert [p["wait_s"] for p in planned] == waits  # the lake keeps the same waits Dagster slept

    capture(instance, joblens_home)  # Dagster's own record of the attempts, from its event log
    captured = kit.lake_rows(lake, "select attempt, status, wait_before_s, error_code from steps "
                                   "where step_key = 'flaky__fetch' and source = 'dagster' order by ts, attempt")
    assert captured == [
        (1, "started", None, None), (1, "up_for_retry", None, "upstream_5xx"),
        (2, "started", waits[0], None), (2, "up_for_retry", None, "upstream_5xx"),
        (3, "started", waits[1], None), (3, "completed", None, None),
    ]


def test_retries_stop_at_the_profile_maximum(tmp_path, joblens_home):
    with kit.http_server(_flaky(10, 503)) as (base, requests):
        path = kit.write_workflow(tmp_path / "wf", "down", [{"name": "fetch", "kind": "http", "url": base}],
                                  retry={**FAST, "max_retries": 1, "base_delay_s": 0.05})
        spec, result = kit.run_spec(path, {}, joblens_home.lake)
    assert not result.success and len(requests) == 2
    failure = kit.step_events(result, "STEP_FAILURE", "down__fetch")[0]
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["joblens/error_code"].value == "upstream_5xx" and metadata["joblens/attempt"].value == 2
    assert "retries exhausted" in failure.step_failure_data.error.message


@pytest.mark.parametrize(("status", "code"), [(401, "authentication"), (404, "unknown")])
def test_non_transient_failure_fails_at_once_with_its_code(tmp_path, joblens_home, status, code):
    import dagster as dg

    from pipelines.telemetry.capture import capture

    instance = dg.DagsterInstance.ephemeral()
    with kit.http_server(_flaky(10, status)) as (base, requests):
        path = kit.write_workflow(tmp_path / "wf", "denied", [{"name": "fetch", "kind": "http", "url": base}], retry=FAST)
        spec, result = kit.run_spec(path, {}, joblens_home.lake, instance=instance)
    assert not result.success
    assert len(requests) == 1
    assert kit.step_events(result, "STEP_UP_FOR_RETRY") == []
    failure = kit.step_events(result, "STEP_FAILURE", "denied__fetch")[0]
    assert failure.step_failure_data.user_failure_data.metadata["joblens/error_code"].value == code
    assert f"Failure: {code}: HTTPStatusError" in failure.step_failure_data.error.message
    rows = kit.lake_rows(joblens_home.lake, "select attempt, error_code, transient from errors where source = 'telemetry'")
    assert rows == [(1, code, False)]
    capture(instance, joblens_home)
    steps = kit.lake_rows(joblens_home.lake, "select attempt, status, error_code from steps "
                                             "where step_key = 'denied__fetch' and source = 'dagster' order by ts")
    assert steps == [(1, "started", None), (1, "failed", code)]
