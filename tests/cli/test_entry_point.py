"""The `joblens` console command: bad input gives a short error and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JOBLENS = str(Path(sys.executable).with_name("joblens"))


def joblens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([JOBLENS, *args], capture_output=True, text=True, timeout=120)


def test_a_joblens_error_is_one_line_and_exit_1(joblens_home):
    result = joblens("compact", "--table", "nope")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: unknown lake table 'nope'; tables are: runs, steps, logs, errors, model_calls, snapshots, resource_samples"
    ]


def test_a_bad_option_value_is_a_usage_error_without_traceback(joblens_home):
    result = joblens("simulate", "--days", "0")
    assert result.returncode == 2
    assert "Invalid value for '--days'" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_has_help(joblens_home):
    from typer.main import get_command

    from pipelines.cli.app import _register, app

    _register()
    root = get_command(app)
    names = [(name,) for name in root.commands]
    names += [(group, sub) for group in ("jobs", "alerts", "webhook") for sub in root.commands[group].commands]
    assert {("demo",), ("sql",), ("top",), ("refresh",), ("jobs", "show"), ("alerts", "silence")} <= set(names)
    for name in names:
        result = joblens(*name, "--help")
        assert result.returncode == 0 and "Usage: joblens" in result.stdout, name
