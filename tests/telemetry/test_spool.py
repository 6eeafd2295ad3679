"""The spool: what was recorded survives kill -9 and lands exactly once, however often it is replayed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

from pipelines.telemetry.spool import land_spool_file, recover_spools

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pipelines.telemetry.resource import TelemetryResource

    lake, count = sys.argv[1], int(sys.argv[2])
    telemetry = TelemetryResource(lake_dir=lake, mirror_to_dagster_log=False)
    with telemetry.recorder("run-killed", "crash_job", "embed", attempt=2) as t:
        for i in range(count):
            t.info(f"record {i}", i=i, token="tok-secret-value")
        t.model_call("openai", "gpt-4o-mini", "chat", input_tokens=11, output_tokens=7)
        t.snapshot("output", "rows", [{"i": 1}])
        os.kill(os.getpid(), signal.SIGKILL)  # no with-exit, no atexit, no flush
    """
)


def run_child(lake, count: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(lake), str(count)], capture_output=True, text=True,
                          timeout=120, env={**os.environ})


def spool_files(home):
    return sorted((home.state / "spool").glob("*.jsonl"))


def test_kill_9_then_recover_lands_every_record_once(joblens_home, lake, query):
    result = run_child(lake, 40)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert not list(lake.glob("landing/**/*.parquet"))  # nothing landed before the kill
    [spool] = spool_files(joblens_home)
    kept = spool.with_suffix(".copy")
    shutil.copy(spool, kept)

    report = recover_spools(joblens_home)
    assert (report.files, report.rows, report.live) == (1, 42, 0)
    assert spool_files(joblens_home) == []
    rows = query("select message, run_id, job_name, step_key, fields, redacted_fields from logs order by ts")
    assert [r[0] for r in rows] == [f"record {i}" for i in range(40)]
    assert {r[1:4] for r in rows} == {("run-killed", "crash_job", "embed")}
    assert rows[3][4] == '{"i": 3, "token": "[REDACTED]"}' and rows[3][5] == ["token"]
    assert query("select provider, model, input_tokens, output_tokens from model_calls") == [
        ("openai", "gpt-4o-mini", 11, 7)
    ]
    assert query("select count(*) from snapshots") == [(1,)]
    assert query("select count(*) from steps") == [(0,)]  # the attempt never ended: no usage row

    # a replay of the same spool (a crash between landing and deleting it) adds nothing
    assert land_spool_file(kept) == 42
    assert query("select count(*), count(distinct id) from logs") == [(40, 40)]
    assert recover_spools(joblens_home).files == 0


def test_live_spool_is_left_to_its_owner(joblens_home, telemetry, query):
    t = telemetry.recorder("run-live", "job", "step")
    t.info("still running")
    report = recover_spools(joblens_home)
    assert (report.files, report.live) == (0, 1)
    assert query("select count(*) from logs") == [(0,)]
    t.close()  # outside Dagster, closing lands
    assert query("select message from logs") == [("still running",)]
    assert spool_files(joblens_home) == []


def test_torn_last_line_is_skipped(joblens_home, lake, query):
    result = run_child(lake, 3)
    assert result.returncode == -signal.SIGKILL
    [spool] = spool_files(joblens_home)
    with open(spool, "ab") as fh:
        fh.write(b'{"c":1,"t":"logs","id":"torn","ts":17')  # a write cut short by a power loss
    report = recover_spools(joblens_home)
    assert (report.files, report.rows) == (1, 5)
    assert query("select count(*) from logs where id = 'torn'") == [(0,)]


def test_empty_and_foreign_files(joblens_home):
    folder = joblens_home.state / "spool"
    folder.mkdir(parents=True)
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "garbage.jsonl").write_text("not a spool\n")
    report = recover_spools(joblens_home)
    assert report.files == 0 and report.unreadable == [str(folder / "garbage.jsonl")]
    assert not (folder / "empty.jsonl").exists() and (folder / "garbage.jsonl").exists()
    assert recover_spools(joblens_home.root / "elsewhere").files == 0  # no spool folder at all


def test_a_row_the_schema_refuses_does_not_hold_back_the_others(telemetry, query):
    t = telemetry.recorder("run-bad", "job", "step")
    t.model_call("openai", "gpt-4o", "chat", 10, 2)
    writer = telemetry.runtime().writer
    writer.append(t._open(), "model_calls", {"id": "bad", "ts": 1.7e9, "provider": "openai", "model": "x",
                                              "input_tokens": "many"})
    t.model_call("openai", "gpt-4o", "chat", 20, 4)
    t.close()
    assert query("select input_tokens from model_calls order by ts") == [(10,), (20,)]
