"""The alert texts people read, frozen: grouped firing, resolved, run failure, broken channel.

Regenerate with ``JOBLENS_REGEN_GOLDEN=1 .venv/bin/pytest tests/alerting/test_golden.py``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerting.alerts import FIRING, RESOLVED, Alert
from alerting.messages import RunFailure, channel_broken_message, group_message, run_failure_message
from alerting.rules import parse_rule

GOLDEN = Path(__file__).with_name("golden")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
RULE = parse_rule(Path("rules.yaml"), {
    "name": "job_failure_rate", "description": "Share of a job's finished runs that failed in the last hour.",
    "metric": "job_failure_rate", "comparison": ">=", "threshold": 0.5, "warning": 0.25,
})


def alert(job, value, severity="critical", state=FIRING, fired_minutes_ago=20, **extra):
    return Alert("job_failure_rate", {"job": job}, state=state, severity=severity, value=value,
                 fired_at=NOW - timedelta(minutes=fired_minutes_ago), **extra)


def messages():
    firing = [
        alert("ingest", 0.6, info={"runs": 10, "failed": 6}),
        alert("report", 0.3, "warning"),
        alert("embed", 0.05, flapping=True),
    ]
    resolved = [alert("nightly", 0.0, state=RESOLVED, fired_minutes_ago=95, resolved_at=NOW)]
    failure = RunFailure(
        run_id="8f14e45f-ceea-467f-a0c6-2d5b7f3c1a2b", job_name="workflow__lead_enrichment", error_class="httpx.ReadTimeout",
        error_code="timeout", message="ReadTimeout: timed out after 30 seconds\n  File \"steps.py\", line 9",
        remediation="Retry with backoff first.", step_key="enrich_company", attempt=3, run_attempt=2,
    )
    return {
        "group_firing": group_message(RULE, firing, resolved, NOW),
        "group_resolved": group_message(RULE, [], resolved, NOW),
        "run_failure": run_failure_message(failure, "http://localhost:3000"),
        "channel_broken": channel_broken_message("ops", 5, "HTTP 500 from json://127.0.0.1/ops\nsecond line"),
    }


@pytest.mark.parametrize("name", sorted(messages()))
def test_message_matches_golden(name):
    message = messages()[name]
    text = f"title: {message.title}\ntype: {message.notify_type}\n\n{message.body}\n"
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("JOBLENS_REGEN_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()
