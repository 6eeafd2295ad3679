"""The delivery hook: rendered files go out through Apprise channels picked by tag."""

from __future__ import annotations

import json

import pytest

from reports.delivery import deliver
from reports.errors import ReportError


@pytest.fixture
def channels(tmp_path, joblens_home):
    """A JSON-lines file channel (JOBLENS_HOME/outbox/reports.jsonl) tagged "reports"."""
    config = tmp_path / "channels.yaml"
    config.write_text("urls:\n  - joblensfile://outbox/reports.jsonl:\n      tag: reports\n")
    outbox = joblens_home.root / "outbox" / "reports.jsonl"
    return config, outbox


def test_deliver_sends_to_the_tagged_channel(channels, tmp_path):
    config, outbox = channels
    report = tmp_path / "2026-W47.html"
    report.write_text("<html></html>")
    result = deliver([report], ["reports"], title="JobLens summary report", channels_config=config)
    assert result.ok, result.error
    record = json.loads(outbox.read_text().splitlines()[-1])
    assert record["title"] == "JobLens summary report"
    assert str(report) in record["body"]


def test_no_channel_with_the_tag_is_a_failed_delivery(channels, tmp_path):
    config, _ = channels
    report = tmp_path / "r.html"
    report.write_text("x")
    result = deliver([report], ["nobody"], channels_config=config)
    assert not result.ok and result.error


def test_a_missing_file_is_an_error(channels, tmp_path):
    with pytest.raises(ReportError, match="no such file"):
        deliver([tmp_path / "gone.pdf"], ["reports"], channels_config=channels[0])
