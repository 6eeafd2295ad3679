"""Immediate run-failure notifications: content, muting, retries and de-duplication."""

from __future__ import annotations

from datetime import timedelta

from alerting.engine import check
from alerting.failures import notify_run_failure
from alerting.messages import RunFailure
from alerting.rules import load_rules
from alerting.store import open_store
from alerting.suppression import add_silence

RULES = """
run_failures:
  routes: [ops]
  ui_base_url: http://dagster.example:3000/
inhibit_rules:
  - source: failing_jobs
    targets: [run_failure]
    equal: [job]
rules:
  - name: failing_jobs
    metric: job_failure_rate
    params: {min_runs: 1}
    comparison: ">="
    threshold: 0.5
    routes: [oncall]
"""

TRACE = "TimeoutError: upstream did not answer in 30s\nTraceback (most recent call last):\n  File \"x.py\", line 3, in f\n    raise"


def failure(run_id="run-1", job="ingest", **extra):
    return RunFailure(
        run_id=run_id, job_name=job, error_class="TimeoutError", error_code="timeout", message=TRACE,
        remediation="Raise the step timeout or check the upstream service.", step_key="fetch", attempt=2, **extra,
    )


def test_a_failed_run_is_announced_once_with_what_to_do_and_no_stack_trace(joblens_home, write_rules, channels_file, http_receiver, t0):
    ruleset = load_rules([write_rules(RULES)])
    outcome = notify_run_failure(joblens_home.root, failure(), now=t0, ruleset=ruleset)
    assert outcome.status == "sent"
    [message] = http_receiver.at("ops")
    assert message.fields["title"] == "[FAILED] ingest: timeout"
    assert message.fields["type"] == "failure"
    assert message.fields["message"].splitlines() == [
        "Job: ingest",
        "Error: timeout (TimeoutError)",
        "Message: TimeoutError: upstream did not answer in 30s",
        "Where: step fetch, attempt 2",
        "Remediation: Raise the step timeout or check the upstream service.",
        "Run: http://dagster.example:3000/runs/run-1",
    ]
    assert notify_run_failure(joblens_home.root, failure(), now=t0, ruleset=ruleset).status == "duplicate"
    assert len(http_receiver.at("ops")) == 1


def test_ui_link_base_comes_from_the_environment(joblens_home, write_rules, channels_file, http_receiver, t0, monkeypatch):
    monkeypatch.setenv("JOBLENS_UI_URL", "https://dagster.internal")
    notify_run_failure(joblens_home.root, failure(), now=t0, ruleset=load_rules([write_rules(RULES)]))
    assert http_receiver.at("ops")[0].fields["message"].endswith("Run: https://dagster.internal/runs/run-1")


def test_no_message_when_an_automatic_retry_already_succeeded(joblens_home, write_rules, channels_file, http_receiver, t0):
    ruleset = load_rules([write_rules(RULES)])
    assert notify_run_failure(joblens_home.root, failure(retry_succeeded=True), now=t0, ruleset=ruleset).status == "skipped"
    assert http_receiver.received == []
    loud = load_rules([write_rules(RULES.replace("routes: [ops]\n", "routes: [ops]\n  notify_when_retry_succeeded: true\n", 1), "loud.yaml")])
    assert notify_run_failure(joblens_home.root, failure(retry_succeeded=True), now=t0, ruleset=loud).status == "sent"


def test_a_firing_failure_rate_alert_mutes_that_jobs_run_failures(joblens_home, warehouse, write_rules, channels_file, http_receiver, t0):
    path = write_rules(RULES)
    warehouse.failure_rates(t0, {"ingest": (6, 10), "report": (0, 10)})
    check(joblens_home.root, now=t0, rule_paths=[path])
    assert len(http_receiver.at("oncall")) == 1
    ruleset = load_rules([path])
    muted = notify_run_failure(joblens_home.root, failure("run-2"), now=t0, ruleset=ruleset)
    assert (muted.status, muted.reason) == ("muted", "inhibited by failing_jobs")
    assert notify_run_failure(joblens_home.root, failure("run-3", job="report"), now=t0, ruleset=ruleset).status == "sent"
    assert [r.fields["title"] for r in http_receiver.at("ops")] == ["[FAILED] report: timeout"]


def test_a_silence_on_run_failure_mutes_matching_jobs(joblens_home, write_rules, channels_file, http_receiver, t0):
    ruleset = load_rules([write_rules(RULES)])
    with open_store(joblens_home.root) as con:
        add_silence(con, "run_failure", {"job": "ingest"}, timedelta(hours=1), "known outage", "test", t0)
    assert notify_run_failure(joblens_home.root, failure(), now=t0, ruleset=ruleset).status == "muted"
    assert notify_run_failure(joblens_home.root, failure("run-9"), now=t0 + timedelta(hours=2), ruleset=ruleset).status == "sent"


def test_an_unreachable_channel_queues_the_failure_for_the_next_evaluation(joblens_home, write_rules, channels_file, http_receiver, t0):
    ruleset = load_rules([write_rules(RULES)])
    http_receiver.failing.add("ops")
    assert notify_run_failure(joblens_home.root, failure(), now=t0, ruleset=ruleset).status == "queued"
    http_receiver.failing.clear()
    check(joblens_home.root, now=t0 + timedelta(minutes=2), rule_paths=[write_rules(RULES)])
    assert [r.fields["title"] for r in http_receiver.at("ops")] == ["[FAILED] ingest: timeout"]
