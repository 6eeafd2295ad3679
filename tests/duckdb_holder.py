"""Another process holding a DuckDB file, as a refresh or an alert tick does for a moment.

DuckDB lets one process write a file and no other process open it meanwhile; the tests of
every lock-waiting open start a real holder with ``holding``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    if sys.argv[3]:
        con.execute(sys.argv[3])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


@contextmanager
def holding(path: Path, seconds: float = 60.0, setup_sql: str = "") -> Iterator[subprocess.Popen]:
    """Open ``path`` read-write in another process (running ``setup_sql`` first) and keep it
    ``seconds``, or until the block ends; yields once the file is held."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), str(seconds), setup_sql],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=60)
