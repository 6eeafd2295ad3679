"""Sequences of evaluations with a controlled clock, against real endpoints on 127.0.0.1.

Every test counts exactly what each receiver got: fire once, no duplicate, repeat, escalation,
recovery, grouping, hysteresis, flapping, silences, inhibition, delivery failure and recovery.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.engine import check
from alerting.store import open_store
from alerting.suppression import add_silence

FAILING_JOBS = """
rules:
  - name: failing_jobs
    description: Too many failed runs.
    metric: job_failure_rate
    params: {{min_runs: 1}}
    window: 1h
    comparison: ">="
    threshold: 0.5
    routes: [ops]
    repeat_interval: 1h
    group_wait: {group_wait}
    group_interval: 5m
{extra}"""


@pytest.fixture
def scenario(joblens_home, warehouse, write_rules, channels_file, t0):
    """``scenario.rules(...)`` writes the rule file; ``scenario.at(minutes, rates)`` evaluates at t0 + minutes."""

    class Scenario:
        path = None

        def rules(self, group_wait="0s", extra="", tail=""):
            self.path = write_rules(FAILING_JOBS.format(group_wait=group_wait, extra=extra) + tail)

        def at(self, minutes, rates, fresh=False):
            now = t0 + timedelta(minutes=minutes)
            warehouse.failure_rates(now, rates)
            if fresh:
                warehouse.insert("fct_runs", [warehouse.run_row(f"fresh-{minutes}", "other", "completed", now - timedelta(minutes=1))])
            report = check(joblens_home.root, now=now, rule_paths=[self.path])
            assert report.errors == []
            return report

    return Scenario()


def titles(received):
    return [r.fields["title"] for r in received]


def test_fires_once_repeats_after_interval_and_resolves_once(scenario, http_receiver):
    scenario.rules()
    scenario.at(0, {"ingest": (6, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"]
    first = http_receiver.at("ops")[0].fields["message"]
    assert "Too many failed runs." in first and "job=ingest: 0.6 >= 0.5" in first
    scenario.at(5, {"ingest": (6, 10)})
    scenario.at(59, {"ingest": (7, 10)})
    assert len(http_receiver.at("ops")) == 1  # no duplicate within repeat_interval
    scenario.at(61, {"ingest": (6, 10)})
    assert titles(http_receiver.at("ops"))[1] == "[FIRING:1] failing_jobs (critical)"
    scenario.at(70, {"ingest": (1, 10)})
    scenario.at(80, {"ingest": (0, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"] * 2 + ["[RESOLVED:1] failing_jobs"]
    assert "job=ingest: now 0.1 (was firing 1h10m)" in http_receiver.at("ops")[2].fields["message"]
    assert http_receiver.at("ops")[2].fields["type"] == "success"


def test_escalates_to_the_higher_route_after_repeats(scenario, http_receiver):
    scenario.rules(extra="    escalation: {after_repeats: 1, routes: [oncall]}\n    repeat_interval: 10m\n")
    scenario.at(0, {"ingest": (6, 10)})
    scenario.at(5, {"ingest": (6, 10)})
    assert (len(http_receiver.at("ops")), len(http_receiver.at("oncall"))) == (1, 0)
    scenario.at(10, {"ingest": (6, 10)})  # the first repeat escalates
    assert len(http_receiver.at("ops")) == 2
    assert titles(http_receiver.at("oncall")) == ["[FIRING:1] failing_jobs (critical) escalated"]
    assert "form" in http_receiver.at("oncall")[0].content_type
    scenario.at(15, {"ingest": (0, 10)})
    assert titles(http_receiver.at("ops"))[-1] == "[RESOLVED:1] failing_jobs"
    assert titles(http_receiver.at("oncall"))[-1] == "[RESOLVED:1] failing_jobs"
    assert (len(http_receiver.at("ops")), len(http_receiver.at("oncall"))) == (3, 2)


def test_three_alerts_firing_together_go_out_as_one_message(scenario, http_receiver):
    scenario.rules(group_wait="2m")
    scenario.at(0, {"ingest": (6, 10), "report": (9, 10), "ok_job": (0, 10)})
    assert http_receiver.at("ops") == []  # group_wait collects the alerts that fire together
    scenario.at(1, {"ingest": (6, 10), "report": (9, 10), "embed": (5, 10), "ok_job": (0, 10)})
    scenario.at(2, {"ingest": (6, 10), "report": (9, 10), "embed": (5, 10), "ok_job": (0, 10)})
    [message] = http_receiver.at("ops")
    assert message.fields["title"] == "[FIRING:3] failing_jobs (critical)"
    body = message.fields["message"]
    assert all(f"job={job}:" in body for job in ("ingest", "report", "embed")) and "ok_job" not in body


def test_hysteresis_holds_until_the_resolve_threshold(scenario, http_receiver):
    scenario.rules(extra="    resolve: 0.2\n")
    scenario.at(0, {"ingest": (3, 10)})
    assert http_receiver.at("ops") == []  # 0.3 is below the threshold: never fires from quiet
    scenario.at(5, {"ingest": (6, 10)})
    scenario.at(10, {"ingest": (3, 10)})  # below 0.5 but above 0.2: still firing
    scenario.at(15, {"ingest": (4, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"]
    scenario.at(20, {"ingest": (1, 10)})
    assert titles(http_receiver.at("ops"))[-1] == "[RESOLVED:1] failing_jobs"
    assert len(http_receiver.at("ops")) == 2


def test_warning_threshold_then_critical_sends_the_change(scenario, http_receiver):
    scenario.rules(extra="    warning: 0.3\n")
    scenario.at(0, {"ingest": (3, 10)})
    scenario.at(5, {"ingest": (4, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (warning)"]
    assert http_receiver.at("ops")[0].fields["type"] == "warning"
    scenario.at(10, {"ingest": (8, 10)})
    assert titles(http_receiver.at("ops"))[-1] == "[FIRING:1] failing_jobs (critical)"


def test_a_flapping_alert_is_held_firing_until_stable(scenario, http_receiver):
    scenario.rules(extra="    flap: {max_changes: 3, window: 1h, stable_evaluations: 2}\n")
    for minutes, failed in [(0, 6), (5, 0), (10, 6), (15, 0), (20, 6), (25, 0)]:
        scenario.at(minutes, {"ingest": (failed, 10)})
    # fire, resolve, fire; then it is flapping: held firing, nothing more sent
    assert titles(http_receiver.at("ops")) == [
        "[FIRING:1] failing_jobs (critical)", "[RESOLVED:1] failing_jobs", "[FIRING:1] failing_jobs (critical)"
    ]
    scenario.at(30, {"ingest": (0, 10)})  # fine twice in a row: stable, resolved once
    scenario.at(35, {"ingest": (0, 10)})
    assert titles(http_receiver.at("ops"))[3:] == ["[RESOLVED:1] failing_jobs"]


def test_silence_mutes_until_it_expires(scenario, http_receiver, joblens_home, t0):
    scenario.rules()
    with open_store(joblens_home.root) as con:
        add_silence(con, "failing_jobs", {"job": "ingest"}, timedelta(minutes=30), "deploying a fix", "test", t0)
    scenario.at(0, {"ingest": (6, 10), "report": (8, 10)})
    [first] = http_receiver.at("ops")
    assert "job=report" in first.fields["message"] and "job=ingest" not in first.fields["message"]
    scenario.at(20, {"ingest": (6, 10), "report": (8, 10)})
    assert len(http_receiver.at("ops")) == 1
    scenario.at(31, {"ingest": (6, 10), "report": (8, 10)})
    second = http_receiver.at("ops")[1]
    assert second.fields["title"] == "[FIRING:2] failing_jobs (critical)" and "job=ingest" in second.fields["message"]


CAPTURE = """
inhibit_rules:
  - source: capture_lagging
    targets: [fresh_data]
"""
CAPTURE_RULE = """
  - name: capture_lagging
    metric: capture_lag_s
    comparison: ">"
    threshold: 1800
    routes: [oncall]
"""


def test_capture_lagging_mutes_rules_that_need_fresh_data(scenario, http_receiver):
    scenario.rules(extra="    depends_on: [fresh_data]\n", tail=CAPTURE_RULE + CAPTURE)
    scenario.at(0, {"ingest": (6, 10)})  # newest run ended 41 minutes ago: capture lags
    assert titles(http_receiver.at("oncall")) == ["[FIRING:1] capture_lagging (critical)"]
    assert http_receiver.at("ops") == []
    scenario.at(5, {"ingest": (6, 10)}, fresh=True)
    assert titles(http_receiver.at("oncall"))[-1] == "[RESOLVED:1] capture_lagging"
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"]


def test_delivery_failure_is_retried_with_backoff_and_nothing_is_lost(scenario, http_receiver, joblens_home):
    scenario.rules()
    http_receiver.failing.add("ops")
    report = scenario.at(0, {"ingest": (6, 10)})
    assert (report.delivery.sent, report.delivery.failed, report.delivery.waiting) == (0, 1, 1)
    scenario.at(0.5, {"ingest": (6, 10)})  # backoff: not retried before a minute
    scenario.at(5, {"ingest": (6, 10)})
    scenario.at(10, {"ingest": (0, 10)})  # resolved while the channel is down: queued behind the firing one
    with open_store(joblens_home.root) as con:
        attempts = con.execute("select title, attempts, status from alert_notifications order by id").fetchall()
    assert attempts == [("[FIRING:1] failing_jobs (critical)", 3, "pending"), ("[RESOLVED:1] failing_jobs", 0, "pending")]
    http_receiver.failing.clear()
    scenario.at(20, {"ingest": (0, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)", "[RESOLVED:1] failing_jobs"]
    scenario.at(30, {"ingest": (0, 10)})
    assert len(http_receiver.at("ops")) == 2


def test_five_failures_in_a_row_report_the_broken_channel_elsewhere(scenario, http_receiver, smtp_receiver, joblens_home):
    scenario.rules()
    http_receiver.failing.add("ops")
    for minutes in (0, 1, 3, 7):
        scenario.at(minutes, {"ingest": (6, 10)})
    assert http_receiver.at("oncall") == [] and smtp_receiver.messages == []
    scenario.at(15, {"ingest": (6, 10)})  # the fifth failed attempt
    scenario.at(31, {"ingest": (6, 10)})  # the sixth: reported only once
    assert http_receiver.at("ops") == []
    assert titles(http_receiver.at("oncall")) == ["[CHANNEL DOWN] ops"]
    assert "5 deliveries in a row to channel 'ops' failed" in http_receiver.at("oncall")[0].fields["message"]
    [mail] = smtp_receiver.messages
    assert mail["Subject"] == "[CHANNEL DOWN] ops" and mail["To"] == "oncall@joblens.test"
    lines = (joblens_home.root / "alerts" / "test.jsonl").read_text().splitlines()
    assert len(lines) == 1 and '"[CHANNEL DOWN] ops"' in lines[0]


def test_mailto_channel_over_plain_smtp(scenario, smtp_receiver, write_rules, joblens_home, warehouse, t0):
    path = write_rules(FAILING_JOBS.format(group_wait="0s", extra="").replace("routes: [ops]", "routes: [email]"))
    warehouse.failure_rates(t0, {"ingest": (6, 10)})
    assert check(joblens_home.root, now=t0, rule_paths=[path]).errors == []
    [mail] = smtp_receiver.messages
    assert mail["Subject"] == "[FIRING:1] failing_jobs (critical)"
    assert "job=ingest: 0.6 >= 0.5" in mail.get_payload(0).get_payload(decode=True).decode()


def test_a_bad_rule_is_reported_and_the_others_keep_running(write_rules, joblens_home, warehouse, channels_file, http_receiver, t0):
    path = write_rules(FAILING_JOBS.format(group_wait="0s", extra="") + """
  - name: broken
    metric: no_such_metric
    comparison: ">"
    threshold: 1
""")
    warehouse.failure_rates(t0, {"ingest": (6, 10)})
    for minutes in (0, 5):
        report = check(joblens_home.root, now=t0 + timedelta(minutes=minutes), rule_paths=[path])
        assert len(report.errors) == 1
        assert report.errors[0].startswith(f"{path}: rule broken: field metric: unknown metric 'no_such_metric'")
    assert len(http_receiver.at("ops")) == 1


def test_dry_run_changes_and_sends_nothing(scenario, http_receiver, joblens_home, warehouse, t0):
    scenario.rules()
    warehouse.failure_rates(t0, {"ingest": (6, 10)})
    report = check(joblens_home.root, now=t0, rule_paths=[scenario.path], dry_run=True)
    assert [p.title for p in report.planned] == ["[FIRING:1] failing_jobs (critical)"]
    assert http_receiver.received == []
    with open_store(joblens_home.root) as con:
        assert con.execute("select count(*) from alert_state").fetchone()[0] == 0
    scenario.at(0, {"ingest": (6, 10)})
    assert len(http_receiver.at("ops")) == 1


def test_a_broken_channel_file_keeps_notifications_queued(scenario, http_receiver, channels_file, t0, joblens_home, warehouse):
    scenario.rules()
    good = channels_file.read_text()
    channels_file.write_text("version: 1\nurls: [\n")
    warehouse.failure_rates(t0, {"ingest": (6, 10)})
    report = check(joblens_home.root, now=t0, rule_paths=[scenario.path])
    assert report.errors == [f"{channels_file}: no channel could be loaded (check its YAML and URLs)"]
    assert report.delivery.waiting == 1 and http_receiver.received == []
    channels_file.write_text(good)
    scenario.at(5, {"ingest": (6, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"]


def test_for_keeps_an_alert_pending_until_enough_evaluations_breach(scenario, http_receiver, joblens_home):
    scenario.rules(extra="    for: 3\n")
    scenario.at(0, {"ingest": (6, 10)})
    scenario.at(5, {"ingest": (6, 10)})
    scenario.at(10, {"ingest": (0, 10)})  # a good evaluation resets the count
    scenario.at(15, {"ingest": (6, 10)})
    report = scenario.at(20, {"ingest": (6, 10)})
    assert [(a.state, a.breach_count) for a in report.alerts] == [("pending", 2)] and http_receiver.received == []
    scenario.at(25, {"ingest": (6, 10)})
    assert titles(http_receiver.at("ops")) == ["[FIRING:1] failing_jobs (critical)"]


def test_escalation_after_a_duration(scenario, http_receiver):
    scenario.rules(extra="    escalation: {after: 30m, routes: [oncall]}\n")
    for minutes in (0, 10, 20):
        scenario.at(minutes, {"ingest": (6, 10)})
    assert http_receiver.at("oncall") == []
    scenario.at(30, {"ingest": (6, 10)})
    assert titles(http_receiver.at("oncall")) == ["[FIRING:1] failing_jobs (critical) escalated"]
    assert len(http_receiver.at("ops")) == 1


@pytest.mark.parametrize(
    "no_data, after_data_stops",
    [
        ("ok", ["[FIRING:1] failing_jobs (critical)", "[RESOLVED:1] failing_jobs"]),
        ("keep", ["[FIRING:1] failing_jobs (critical)"]),
        ("alert", ["[FIRING:1] failing_jobs (critical)", "[FIRING:1] failing_jobs (critical)"]),
    ],
)
def test_no_data_handling(scenario, http_receiver, no_data, after_data_stops):
    scenario.rules(extra=f"    no_data: {no_data}\n")
    scenario.at(0, {"ingest": (6, 10)})
    report = scenario.at(10, {})  # the metric returns no rows at all
    assert titles(http_receiver.at("ops")) == after_data_stops
    states = {tuple(a.labels.items()): a.state for a in report.alerts}
    expected = {"ok": {(("job", "ingest"),): "resolved"}, "keep": {(("job", "ingest"),): "firing"},
                "alert": {(("job", "ingest"),): "resolved", (("no_data", "true"),): "firing"}}[no_data]
    assert states == expected
    if no_data == "alert":
        body = http_receiver.at("ops")[1].fields["message"]
        assert "no_data=true: no data" in body and "job=ingest: now" in body
