"""The delivery ledger across a real process killed between sending and marking the send done."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from alerting.faults import ENV
from alerting.store import open_store

RULES = """
rules:
  - name: failing_jobs
    metric: job_failure_rate
    params: {min_runs: 1}
    comparison: ">="
    threshold: 0.5
    routes: [ops]
"""

CHECK = "import sys, datetime; from alerting.engine import check; " \
        "check(sys.argv[1], now=datetime.datetime.fromisoformat(sys.argv[2]), rule_paths=[sys.argv[3]])"


def run_check(home, now, rules, crash_at=None):
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if crash_at:
        env[ENV] = crash_at
    return subprocess.run([sys.executable, "-c", CHECK, str(home.root), now.isoformat(), str(rules)], env=env, capture_output=True, text=True, timeout=120)


def ledger(home):
    with open_store(home.root) as con:
        return con.execute("select title, status from alert_notifications order by id").fetchall()


@pytest.mark.parametrize("crash_at, delivered_before_restart", [("alerts.after_send", 1), ("alerts.before_send", 0)])
def test_a_crash_around_the_send_resends_at_most_once(
    crash_at, delivered_before_restart, joblens_home, warehouse, write_rules, channels_file, http_receiver, t0
):
    rules = write_rules(RULES)
    warehouse.failure_rates(t0, {"ingest": (6, 10)})
    crashed = run_check(joblens_home, t0, rules, crash_at)
    assert crashed.returncode == -9, crashed.stderr
    assert len(http_receiver.at("ops")) == delivered_before_restart
    assert ledger(joblens_home) == [("[FIRING:1] failing_jobs (critical)", "pending")]  # the intent survived the crash
    for minutes in (1, 2):
        done = run_check(joblens_home, t0 + timedelta(minutes=minutes), rules)
        assert done.returncode == 0, done.stderr
    assert [r.fields["title"] for r in http_receiver.at("ops")] == ["[FIRING:1] failing_jobs (critical)"] * (delivered_before_restart + 1)
    assert ledger(joblens_home) == [("[FIRING:1] failing_jobs (critical)", "sent")]
