"""Kill the writer and compaction between every two phases; re-run; no row lost, none twice.

Each case runs the real code in a subprocess with ``JOBLENS_CRASH_AT`` set, so the
process dies by SIGKILL exactly at that checkpoint (no ``finally``, no flush). Readers
must see exactly the committed rows in the state the crash leaves, and exactly all rows
once the work is re-run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from pipelines.lake.compaction import compact
from pipelines.lake.writer import LakeWriter

from .conftest import START, log_rows

WRITE = """
import sys
from datetime import datetime, timedelta, timezone
from pipelines.lake.writer import LakeWriter
lake, batch = sys.argv[1], sys.argv[2]
start = datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)
with LakeWriter(lake) as w:  # 120 rows over two days: two files per flush
    for i in range(120):
        w.add("logs", {"id": f"{batch}-{i}", "run_id": "r", "ts": start + timedelta(minutes=i),
                       "kind": "log", "level": "info", "message": str(i)})
"""

COMPACT = """
import sys
from pipelines.lake.compaction import compact
compact(__import__("pathlib").Path(sys.argv[1]), target_file_mb=1, row_group_rows=1000, retire_grace_s=0)
"""


def run(script: str, *args: str, crash: str | None = None) -> int:
    env = dict(os.environ)
    env.pop("JOBLENS_CRASH_AT", None)
    if crash:
        env["JOBLENS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-X", "faulthandler", "-c", script, *args], env=env, timeout=120).returncode


def all_ids(lake) -> list[str]:
    from pipelines.lake.reader import connect

    con = connect(lake, tables=("logs",))
    try:
        return [r[0] for r in con.execute("select id from logs order by id").fetchall()]
    finally:
        con.close()


def expected(*batches: str, n: int = 120) -> list[str]:
    return sorted(f"{b}-{i}" for b in batches for i in range(n))


WRITER_POINTS = [
    "publish.after_sidecar", "publish.before_rename", "writer.after_file",
    "publish.after_sidecar#2", "publish.before_rename#2",
]


@pytest.mark.parametrize("point", WRITER_POINTS)
def test_writer_killed_at_any_phase_then_rerun(lake, point):
    assert run(WRITE, str(lake), "a") == 0
    assert run(WRITE, str(lake), "b", crash=point) == -9
    got = all_ids(lake)
    committed = [i for i in got if i.startswith("b-")]
    assert got == sorted(expected("a") + committed)  # a partial write shows whole files or nothing
    assert len(committed) in (0, 60)  # the first day's file published, or none
    assert run(WRITE, str(lake), "b") == 0  # the producer replays the batch
    assert all_ids(lake) == expected("a", "b")
    compact(lake, retire_grace_s=0)
    assert all_ids(lake) == expected("a", "b")
    assert not list((lake / "landing" / "logs").glob("date=*/*.parquet"))


COMPACTION_POINTS = [
    "compaction.during_gc", "compaction.before_publish", "publish.before_rename",
    "compaction.after_publish", "publish.before_rename#2", "compaction.after_commit",
    "compaction.during_cleanup", "compaction.during_cleanup#3", "quarantine.after_move",
]


@pytest.fixture
def busy_lake(lake):
    """Compacted rows, unmerged landing rows (some replayed), a damaged file and leftovers of a crash."""
    assert run(WRITE, str(lake), "a") == 0
    compact(lake, retire_grace_s=0)
    assert run(WRITE, str(lake), "b") == 0
    assert run(WRITE, str(lake), "a") == 0  # a replay of compacted rows
    with LakeWriter(lake) as writer:
        [bad] = writer.write("logs", _rows("bad"))
    bad.write_bytes(bad.read_bytes()[:100])
    # an unlisted part as a crashed compaction leaves it, for garbage collection
    day = next((lake / "tables" / "logs").iterdir())
    (day / "part-orphan.parquet").write_bytes((next(day.glob("part-*.parquet"))).read_bytes())
    return lake


def _rows(prefix):
    from pipelines.lake.writer import to_arrow

    return to_arrow("logs", log_rows(3, start=START + timedelta(minutes=30), prefix=prefix))


@pytest.mark.parametrize("point", COMPACTION_POINTS)
def test_compaction_killed_at_any_phase_then_rerun(busy_lake, point):
    lake = busy_lake
    want = expected("a", "b")
    assert all_ids(lake) == want
    assert run(COMPACT, str(lake), crash=point) == -9
    assert all_ids(lake) == want  # whatever the crash left, readers see every row once
    assert run(COMPACT, str(lake)) == 0
    assert all_ids(lake) == want
    assert not list((lake / "landing" / "logs").glob("date=*/*.parquet"))
    for day in (lake / "tables" / "logs").iterdir():
        from pipelines.lake.inventory import read_manifest

        live = {f.name for f in read_manifest(day).files}
        assert {p.name for p in day.glob("*.parquet")} == live  # no leftover part
    assert len(list((lake / "quarantine" / "logs").glob("*/*.reason.txt"))) == 1
