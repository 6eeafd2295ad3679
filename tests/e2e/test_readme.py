"""Every command and code example in the README runs, against the home the demo produced."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.e2e.browser import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
JOBLENS = str(Path(sys.executable).with_name("joblens"))
# Commands that serve until stopped: started, checked to answer, then stopped.
SERVING = {("ui",)}

pytestmark = pytest.mark.slow


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def shell_commands() -> list[str]:
    lines = []
    for block in code_blocks("bash"):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def joblens_commands() -> list[list[str]]:
    return [shlex.split(c)[1:] for c in shell_commands() if c.startswith(".venv/bin/joblens ")]


def test_readme_lists_only_commands_this_test_knows():
    known = ("make ", ".venv/bin/joblens ", "duckdb ")
    assert shell_commands(), "the README has shell examples"
    for command in shell_commands():
        assert command.startswith(known), f"README command without a test: {command}"
    makefile = (README.parent / "Makefile").read_text()
    assert "$(BIN)/joblens demo" in makefile and "$(BIN)/pytest" in makefile


@pytest.fixture()
def demo_env(demo_home, monkeypatch):
    home, summary = demo_home
    monkeypatch.setenv("JOBLENS_HOME", str(home.root))
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster))
    return home, summary


@pytest.mark.parametrize("args", joblens_commands(), ids=lambda a: " ".join(a)[:60])
def test_readme_joblens_command(args, demo_env, tmp_path):
    home, _ = demo_env
    if tuple(args) in SERVING:
        return _serve_and_stop(args)
    args = [_failed_run_id(home) if a == "RUN_ID" else a for a in args]
    result = subprocess.run([JOBLENS, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, f"joblens {' '.join(args)}: {result.stderr[-2000:]}"
    assert result.stdout.strip(), "every README command prints something"


def test_readme_duckdb_cli_query_runs(demo_env):
    # The duckdb CLI is not a JobLens dependency; the same read-only query runs through its library.
    home, _ = demo_env
    command = next(c for c in shell_commands() if c.startswith("duckdb "))
    parts = shlex.split(command)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    rows = con.execute(parts[-1]).fetchall()
    assert parts[1] == "-readonly" and parts[2] == "data/home/warehouse.duckdb"
    assert 0 < len(rows) <= 5


def test_readme_python_examples_run(demo_env, tmp_path):
    home, _ = demo_env
    reading, instrumenting = code_blocks("python")
    scope: dict = {}
    exec(compile(reading, "README.md", "exec"), scope)
    assert scope["daily"].height > 0 and scope["tokens"].height > 0 and scope["steps"].height > 0

    instrumented: dict = {}
    exec(compile(instrumenting, "README.md", "exec"), instrumented)
    import dagster as dg

    job = instrumented["defs"].resolve_job_def("lead_scoring")
    lake = tmp_path / "lake"
    telemetry = instrumented["TelemetryResource"](lake_dir=str(lake), spool_dir=str(tmp_path / "spool"))
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), resources={"telemetry": telemetry}).success
    from pipelines.lake import reader

    calls = reader.connect(lake).execute("select job_name, model, input_tokens from model_calls").fetchall()
    assert calls == [("lead_scoring", "gpt-4o-mini", 812)]


def _failed_run_id(home) -> str:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    return con.execute("select run_id from fct_runs where status = 'failed' order by ended_at desc limit 1").fetchone()[0]


def _serve_and_stop(args: list[str]) -> None:
    port = free_port()
    proc = subprocess.Popen([JOBLENS, *args, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as answer:
                    assert answer.status == 200
                    return
            except OSError:
                time.sleep(1)
        raise AssertionError(f"joblens {' '.join(args)} did not answer on port {port}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
