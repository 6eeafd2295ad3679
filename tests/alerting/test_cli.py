"""``joblens alerts check|list|silence|unsilence|test`` in process, on the fixture warehouse and real endpoints."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from pipelines.cli.app import _register, app
from pipelines.errors import JoblensError
from tests.duckdb_holder import holding


@pytest.fixture
def joblens():
    _register()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    return invoke


def test_check_evaluates_the_shipped_rules_and_list_shows_the_alert(joblens, warehouse, channels_file, http_receiver, t0):
    warehouse.failure_rates(t0, {"ingest": (8, 10)})
    dry = joblens("alerts", "check", "--dry-run", "--now", t0.isoformat(), "--format", "json")
    assert dry.exit_code == 0, dry.output
    assert {a["rule"] for a in json.loads(dry.output)} >= {"job_failure_rate"} and http_receiver.received == []
    first = joblens("alerts", "check", "--now", t0.isoformat())
    assert first.exit_code == 0, first.output
    assert http_receiver.received == []  # the shipped rules wait 30s to group alerts firing together
    later = (t0 + timedelta(minutes=1)).isoformat()
    warehouse.failure_rates(t0 + timedelta(minutes=1), {"ingest": (8, 10)})
    assert joblens("alerts", "check", "--now", later).exit_code == 0
    assert [r.fields["title"] for r in http_receiver.at("ops")] == ["[FIRING:1] job_failure_rate (critical)"]
    alerts = json.loads(joblens("alerts", "list", "--format", "json").output)
    assert {(a["rule"], a["labels"], a["state"]) for a in alerts} >= {("job_failure_rate", "job=ingest", "firing")}


def test_check_reports_rule_errors_and_exits_1(joblens, warehouse, channels_file, joblens_home, t0):
    (joblens_home.root / "alert_rules").mkdir()
    (joblens_home.root / "alert_rules" / "mine.yaml").write_text("rules:\n  - name: mine\n    metric: nope\n    comparison: '>'\n    threshold: 1\n")
    result = joblens("alerts", "check", "--now", t0.isoformat())
    assert result.exit_code == 1
    assert "error: " in result.output and "mine.yaml: rule mine: field metric: unknown metric 'nope'" in result.output


def test_silence_list_and_unsilence(joblens):
    made = joblens("alerts", "silence", "--rule", "job_failure_rate", "--label", "job=ingest", "--for", "2h", "--comment", "deploying a fix")
    assert made.exit_code == 0, made.output
    silence_id = made.output.split()[1].rstrip(":")
    listed = joblens("alerts", "list", "--silences", "--format", "csv")
    assert f'{silence_id},job_failure_rate,"{{""job"": ""ingest""}}"' in listed.output and "deploying a fix" in listed.output
    assert joblens("alerts", "unsilence", silence_id).exit_code == 0
    assert silence_id not in joblens("alerts", "list", "--silences", "--format", "csv").output
    assert "Active silences" in joblens("alerts", "list").output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rule", "no_such_rule", "--for", "2h", "--comment", "x"], "--rule: no rule named 'no_such_rule'"),
        (["--rule", "job_failure_rate", "--for", "2 hours", "--comment", "x"], "--for: '2 hours' is not a duration"),
        (["--rule", "job_failure_rate", "--label", "job", "--for", "2h", "--comment", "x"], "--label 'job': expected name=value"),
        (["--rule", "job_failure_rate", "--for", "2h", "--comment", " "], "--comment: say why"),
    ],
)
def test_bad_silences_are_one_line_errors(joblens, args, message):
    result = joblens("alerts", "silence", *args)
    assert isinstance(result.exception, JoblensError) and str(result.exception).startswith(message)


def test_test_message_to_a_channel_tag(joblens, channels_file, http_receiver, smtp_receiver):
    assert joblens("alerts", "test", "ops").exit_code == 0
    assert [r.fields["title"] for r in http_receiver.at("ops")] == ["JobLens test message to 'ops'"]
    assert joblens("alerts", "test", "email").exit_code == 0
    assert smtp_receiver.messages[0]["Subject"] == "JobLens test message to 'email'"
    http_receiver.failing.add("oncall")
    failed = joblens("alerts", "test", "oncall")
    assert isinstance(failed.exception, JoblensError) and "channel 'oncall': delivery failed" in str(failed.exception)


def test_the_default_channel_writes_json_lines_under_the_home(joblens, joblens_home, monkeypatch):
    monkeypatch.delenv("JOBLENS_CHANNELS", raising=False)
    assert joblens("alerts", "test", "ops").exit_code == 0
    [line] = (joblens_home.root / "alerts" / "notifications.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["title"] == "JobLens test message to 'ops'" and record["type"] == "info"


def test_a_channel_sends_attachments(channels_file, smtp_receiver, tmp_path):
    from alerting.transport import Channels

    report = tmp_path / "weekly.csv"
    report.write_text("job,runs\ningest,10\n")
    assert Channels().send("email", "Weekly report", "See the attachment.", attach=[str(report)]).ok
    [mail] = smtp_receiver.messages
    parts = {part.get_filename(): part.get_payload(decode=True) for part in mail.walk() if part.get_filename()}
    assert parts == {"weekly.csv": b"job,runs\ningest,10\n"}
    assert mail["X-Application"] == "JobLens"


def test_a_busy_alert_store_is_a_one_line_error(joblens_home, monkeypatch):
    from alerting import store

    with holding(store.alerts_db(joblens_home.root)):
        monkeypatch.setattr(store, "LOCK_WAIT_S", 0.3)
        with pytest.raises(store.AlertingError, match="alerts.duckdb: busy for 0s"):
            with store.open_store(joblens_home.root):
                pass
