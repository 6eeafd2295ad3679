"""Rule files: what a bad file reports (one line naming file, rule and field) and what still loads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.durations import format_duration, parse_duration
from alerting.errors import AlertingError
from alerting.rules import SHIPPED_RULES, load_rules, rule_files

GOOD = """
  - name: good
    metric: job_failure_rate
    comparison: ">"
    threshold: 0.5
"""


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("  - name: bad\n    metric: nope\n    comparison: '>'\n    threshold: 1\n", "rule bad: field metric: unknown metric 'nope'"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '=>'\n    threshold: 1\n", "rule bad: field comparison: '=>' is not one of"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n", "rule bad: field threshold: missing"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: high\n", "rule bad: field threshold: 'high' is not a number"),
        ("  - metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n", "rule #2: field name: missing"),
        ("  - name: bad\n    comparison: '>'\n    threshold: 1\n", "rule bad: field metric: give exactly one of"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    window: soon\n", "rule bad: field window: 'soon' is not a duration"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    group_by: [model]\n", "rule bad: field group_by: label 'model' is not one of job, job_type, team"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    for: 0\n", "rule bad: field for: 0 is not a whole number"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    treshold: 2\n", "rule bad: field treshold: unknown field"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    escalation: {routes: [oncall]}\n", "rule bad: field escalation: needs"),
        ("  - name: bad\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n    params: {min_run: 2}\n", "rule bad: field params: unknown parameter 'min_run'"),
        ("  - name: good\n    metric: job_failure_rate\n    comparison: '>'\n    threshold: 1\n", "rule good: field name: already defined in"),
    ],
)
def test_one_bad_rule_is_one_error_and_the_others_load(write_rules, rule, expected):
    path = write_rules("rules:\n" + GOOD + rule)
    ruleset = load_rules([path])
    assert [r.name for r in ruleset.rules] == ["good"]
    [error] = ruleset.errors
    assert error.startswith(f"{path}: {expected}"), error


def test_invalid_yaml_names_the_file_and_line_and_other_files_still_load(write_rules):
    broken = write_rules("rules:\n  - name: x\n    threshold: [1\n", "broken.yaml")
    good = write_rules("rules:\n" + GOOD, "good.yaml")
    ruleset = load_rules([broken, good])
    assert [r.name for r in ruleset.rules] == ["good"]
    [error] = ruleset.errors
    assert error.startswith(f"{broken}: invalid YAML at line")


def test_a_file_that_is_not_a_mapping(write_rules):
    path = write_rules("- just\n- a list\n")
    assert load_rules([path]).errors == [f"{path}: a rule file is a mapping with a 'rules' list"]


def test_defaults_apply_and_disabled_rules_are_skipped(write_rules):
    path = write_rules("defaults:\n  routes: [chat]\n  repeat_interval: 30m\nrules:\n" + GOOD + "    enabled: false\n" + GOOD.replace("good", "other"))
    [rule] = load_rules([path]).rules
    assert (rule.name, rule.routes, rule.repeat_interval) == ("other", ("chat",), timedelta(minutes=30))


def test_shipped_rules_cover_the_issue(joblens_home, write_rules, monkeypatch):
    ruleset = load_rules([SHIPPED_RULES])
    assert ruleset.errors == []
    assert {r.metric for r in ruleset.rules} == {
        "job_failure_rate", "consecutive_failed_runs", "new_error_signature", "run_stuck", "queue_wait_p95",
        "duration_p95_regression", "daily_budget_share", "budget_forecast_share", "schedule_overdue", "capture_lag_s",
    }
    mine = write_rules("rules: []\n", "mine.yaml")
    (joblens_home.root / "alert_rules").mkdir()
    (joblens_home.root / "alert_rules" / "team.yaml").write_text("rules: []\n")
    monkeypatch.setenv("JOBLENS_RULES", str(mine))
    assert rule_files(joblens_home.root) == [SHIPPED_RULES, joblens_home.root / "alert_rules" / "team.yaml", mine]


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (45, 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_bad_duration_and_round_trip():
    with pytest.raises(AlertingError, match="'2 hours' is not a duration"):
        parse_duration("2 hours")
    assert format_duration(timedelta(minutes=90)) == "1h30m"
