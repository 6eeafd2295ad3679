"""`joblens webhook serve` as a user starts it: a subprocess on the real code location."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

JOBLENS = Path(sys.executable).with_name("joblens")


@pytest.mark.slow
def test_webhook_serve_accepts_and_refuses(tmp_path, joblens_home):
    env = {**os.environ, "JOBLENS_HOME": str(joblens_home.root), "DAGSTER_HOME": str(joblens_home.dagster)}
    server = subprocess.Popen(
        [str(JOBLENS), "webhook", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + server.stderr.read() if server.poll() is not None else line
        base = f"http://127.0.0.1:{match.group(1)}"
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        bad = httpx.post(f"{base}/workflows/support_ticket_triage", json={"ticket_id": "T-1"}, timeout=60)
        assert bad.status_code == 400 and "'subject' is a required property" in bad.json()["error"]
        payload = {"ticket_id": "T-2", "subject": "Refund", "body": "Charged twice for one invoice."}
        good = httpx.post(f"{base}/workflows/support_ticket_triage", json=payload, timeout=120)
        assert good.status_code == 202, good.text
        run_id = good.json()["run_id"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    from pipelines.instance import open_instance

    run = open_instance(joblens_home).get_run_by_id(run_id)
    assert run.status.value == "QUEUED" and run.tags["joblens/trigger"] == "webhook"
    assert run.run_config["ops"]["support_ticket_triage__inputs"]["config"]["payload"] == payload
    assert run.tags["dagster/priority"] == "5"
